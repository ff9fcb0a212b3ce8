//! `build`: content/ → a static site in the output folder.

use std::fmt;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Diagnostics};

/// What `gongkai build` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The archive's folder (holding site.toml).
    pub root: PathBuf,
    /// Output folder; default: `output_dir` of site.toml.
    pub output: Option<PathBuf>,
    /// Overrides `base_url` of site.toml.
    pub base_url: Option<String>,
}

/// What a successful build did.
#[derive(Debug, Clone, Default)]
pub struct BuildSummary {
    pub documents: usize,
    pub pages: usize,
    pub output: PathBuf,
}

impl fmt::Display for BuildSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "built {} documents into {} pages in {}",
            self.documents,
            self.pages,
            self.output.display()
        )
    }
}

pub fn build(_opts: &BuildOptions) -> Result<BuildSummary, Diagnostics> {
    Err(Diagnostic::error("build", None, "not yet").into())
}
