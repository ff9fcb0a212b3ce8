//! Writing the site all-or-nothing: pages go into a fresh folder beside the output,
//! which replaces the old output only once everything is written.

use std::path::{Component, Path, PathBuf};

use crate::diagnostic::Diagnostic;

/// A build in progress. Dropped without [`Staging::commit`], it leaves no trace and the
/// previous output stays as it was.
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    target: PathBuf,
}

impl Staging {
    /// Prepares a staging folder beside `target` (same file system, so the final swap is
    /// a rename).
    pub fn new(target: &Path) -> Result<Staging, Diagnostic> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| {
            Diagnostic::error(
                &parent,
                None,
                format!("cannot create the output's folder: {e}"),
            )
        })?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "public".into());
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.building-"))
            .tempdir_in(&parent)
            .map_err(|e| {
                Diagnostic::error(&parent, None, format!("cannot create a build folder: {e}"))
            })?;
        Ok(Staging {
            dir: Some(dir),
            target: target.to_path_buf(),
        })
    }

    /// The folder pages are written into.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map(|d| d.path()).unwrap_or(&self.target)
    }

    /// Writes `bytes` at `rel` (a site path with `/`) inside the staging folder.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        write_under(self.path(), rel, bytes)
    }

    /// Replaces the target with the staged build.
    pub fn commit(mut self) -> Result<PathBuf, Diagnostic> {
        let Some(dir) = self.dir.take() else {
            return Ok(self.target.clone());
        };
        let staged = dir.keep();
        let fail = |what: &str, e: std::io::Error| {
            Diagnostic::error(&self.target, None, format!("{what}: {e}"))
        };
        if self.target.exists() {
            if !self.target.is_dir() {
                let _ = std::fs::remove_dir_all(&staged);
                return Err(Diagnostic::error(
                    &self.target,
                    None,
                    "the output path is a file, not a folder; remove it or choose another --output",
                ));
            }
            let old = tempfile::Builder::new()
                .prefix(".old-")
                .tempdir_in(staged.parent().unwrap_or(Path::new(".")))
                .map_err(|e| fail("cannot make room for the new build", e))?
                .keep();
            let parked = old.join("site");
            if let Err(e) = std::fs::rename(&self.target, &parked) {
                let _ = std::fs::remove_dir_all(&staged);
                let _ = std::fs::remove_dir_all(&old);
                return Err(fail("cannot move the previous build aside", e));
            }
            if let Err(e) = std::fs::rename(&staged, &self.target) {
                // Put the previous build back: a failed build never loses the old site.
                let _ = std::fs::rename(&parked, &self.target);
                let _ = std::fs::remove_dir_all(&staged);
                let _ = std::fs::remove_dir_all(&old);
                return Err(fail("cannot put the new build in place", e));
            }
            remove_tree(&old);
        } else if let Err(e) = std::fs::rename(&staged, &self.target) {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(fail("cannot put the new build in place", e));
        }
        Ok(self.target.clone())
    }
}

/// Removes a folder and everything in it, its subfolders in parallel: the old output of
/// a large archive is tens of thousands of files. Best effort: what cannot be removed
/// stays, hidden beside the output.
fn remove_tree(dir: &Path) {
    use rayon::prelude::*;
    let mut stack = vec![dir.to_path_buf()];
    // Two levels down gives enough folders to share out (year/…, agency/…, search/…).
    for _ in 0..2 {
        let mut next = Vec::new();
        for d in stack.drain(..) {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push(p);
                } else {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        stack = next;
    }
    stack.par_iter().for_each(|d| {
        let _ = std::fs::remove_dir_all(d);
    });
    // What is left are the now empty upper folders.
    let _ = std::fs::remove_dir_all(dir);
}

/// Writes `bytes` to `root/rel`, creating folders as needed.
pub fn write_under(root: &Path, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
    let path = rel
        .split('/')
        .filter(|s| !s.is_empty())
        .fold(root.to_path_buf(), |p, s| p.join(s));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Diagnostic::error(parent, None, format!("cannot create folder: {e}")))?;
    }
    std::fs::write(&path, bytes)
        .map_err(|e| Diagnostic::error(&path, None, format!("cannot write: {e}")))
}

/// `p` as the absolute path the system will reach: symbolic links resolved as far as the
/// path exists, `..` taken out (after a link, from where the link points). An output
/// spelled `archive/..`, `archive/new/../content` or a link to the archive is then seen
/// for what it is.
pub(crate) fn resolved(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for part in abs.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
        if let Ok(real) = out.canonicalize() {
            out = real;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_keeps_old() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        let s = Staging::new(&target).unwrap();
        s.write("a/index.html", b"one").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(target.join("a/index.html")).unwrap(), b"one");

        let s = Staging::new(&target).unwrap();
        s.write("a/index.html", b"two").unwrap();
        drop(s);
        assert_eq!(std::fs::read(target.join("a/index.html")).unwrap(), b"one");

        let s = Staging::new(&target).unwrap();
        s.write("b.html", b"three").unwrap();
        s.commit().unwrap();
        assert!(!target.join("a/index.html").exists());
        assert_eq!(std::fs::read(target.join("b.html")).unwrap(), b"three");
        // Nothing is left beside the output.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn resolved_sees_through_dot_dot_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("archive/content")).unwrap();
        let archive = root.join("archive");
        assert_eq!(
            resolved(&archive.join("sub/../content/x")),
            archive.join("content/x")
        );
        assert_eq!(resolved(&archive.join("..")), root);
        assert_eq!(
            resolved(&archive.join("./content/./")),
            archive.join("content")
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(archive.join("content"), root.join("link")).unwrap();
            assert_eq!(
                resolved(&root.join("link/new")),
                archive.join("content/new")
            );
            // `..` after a link goes up from where the link points.
            assert_eq!(resolved(&root.join("link/..")), archive);
        }
    }
}
