//! `init`: a new archive that builds at once.

use std::path::Path;

use crate::diagnostic::Diagnostic;

pub fn create(dir: &Path) -> Result<(), Diagnostic> {
    Err(Diagnostic::error(dir, None, "not yet"))
}
