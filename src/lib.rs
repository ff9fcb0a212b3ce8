//! gongkai (公开): a static site generator for government public-disclosure archives.
//!
//! Data flows one way: raw reports → [`import`] → `content/**/*.md` ([`document`]) →
//! [`site`] build (rendered with [`render`], indexed by [`search`]) → `public/`.

pub mod archive;
pub mod check;
pub mod collation;
pub mod config;
pub mod diagnostic;
pub mod document;
pub mod import;
pub mod init;
pub mod render;
pub mod search;
pub mod serve;
pub mod site;
