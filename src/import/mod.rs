//! `import`: raw reports (.txt, .html, .docx) → Markdown documents with front matter.
//!
//! (Being written on the `import` branch; this is the surface the CLI calls.)

use std::fmt;
use std::path::PathBuf;

use crate::diagnostic::Diagnostic;

/// What `gongkai import` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Files or folders (read recursively) of raw reports.
    pub inputs: Vec<PathBuf>,
    /// Where documents are written (`<root>/content` by default).
    pub out_dir: PathBuf,
    /// Where to write the JSON report, if asked.
    pub report: Option<PathBuf>,
    /// Overwrite existing content files.
    pub force: bool,
    /// The `[import]` table of site.toml (site-specific rules), when there is one.
    pub site_rules: Option<toml::Table>,
    /// The site.toml the rules came from, for messages.
    pub site_toml: Option<PathBuf>,
    /// Show a progress bar (stderr is a terminal).
    pub progress: bool,
}

/// The counts shown at the end of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub imported: usize,
    pub incomplete: usize,
    pub duplicates: usize,
    pub skipped: usize,
    pub failed: usize,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imported {}, incomplete {}, duplicates {}, skipped {}, failed {}",
            self.imported, self.incomplete, self.duplicates, self.skipped, self.failed
        )
    }
}

/// Imports every raw report under `opts.inputs`.
pub fn run(_opts: &ImportOptions) -> Result<ImportSummary, Diagnostic> {
    Err(Diagnostic::error(
        "import",
        None,
        "import is not available yet",
    ))
}
