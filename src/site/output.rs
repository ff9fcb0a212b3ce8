//! Writing the site all-or-nothing: pages go into a fresh folder beside the output,
//! which replaces the old output only once everything is written.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use crate::diagnostic::Diagnostic;

/// A build in progress. Dropped without [`Staging::commit`], it leaves no trace and the
/// previous output stays as it was. While it lives it holds the output's lock, so two
/// builds of one output never race.
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    target: PathBuf,
    /// The folders made in the staging folder so far (and the folder itself): a folder is
    /// made once, not once a file in it (a build writes ~38,000 files into ~12,000
    /// folders, and each `create_dir_all` of a folder that exists is a system call).
    made: Mutex<HashSet<PathBuf>>,
    /// The open lock file `.NAME.lock` beside the output; the lock goes with it.
    _lock: std::fs::File,
}

impl Staging {
    /// Prepares a staging folder beside `target` (same file system, so the final swap is
    /// a rename), after taking the output's lock and removing what killed builds of it
    /// left behind.
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
        let lock = lock_output(&parent, &name, target)?;
        remove_stale(&parent, &name);
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.building-"))
            .tempdir_in(&parent)
            .map_err(|e| {
                Diagnostic::error(&parent, None, format!("cannot create a build folder: {e}"))
            })?;
        let made = Mutex::new(HashSet::from([dir.path().to_path_buf()]));
        Ok(Staging {
            dir: Some(dir),
            target: target.to_path_buf(),
            made,
            _lock: lock,
        })
    }

    /// The folder pages are written into.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map(|d| d.path()).unwrap_or(&self.target)
    }

    /// Writes `bytes` at `rel` (a site path with `/`) inside the staging folder.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
        let path = under(self.path(), rel);
        if let Some(folder) = path.parent()
            && !self.was_made(folder)
        {
            make_folder(folder)?;
            self.made_now(folder);
        }
        write_file(&path, bytes)
    }

    fn was_made(&self, folder: &Path) -> bool {
        // A thread that panicked while holding the lock left the set as it was.
        let made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        made.contains(folder)
    }

    fn made_now(&self, folder: &Path) {
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        made.insert(folder.to_path_buf());
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
            let name = self
                .target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let old = tempfile::Builder::new()
                .prefix(&format!(".{name}.old-"))
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

/// Takes the lock of the output `target` (as [`Staging::new`] does), for a build that
/// changes it in place; the lock goes with the file returned.
pub(crate) fn lock(target: &Path) -> Result<std::fs::File, Diagnostic> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    lock_output(&parent, &name, target)
}

/// Takes the lock of the output `name` in `parent` (the file `.NAME.lock`, kept there):
/// a second build of the same output is refused while the first runs. The lock is the
/// system's (flock, LockFileEx), so a killed build never leaves it held.
fn lock_output(parent: &Path, name: &str, target: &Path) -> Result<std::fs::File, Diagnostic> {
    let path = parent.join(format!(".{name}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Diagnostic::error(&path, None, format!("cannot open the build lock: {e}")))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Diagnostic::error(
            target,
            None,
            format!(
                "another gongkai build is writing this output now (it holds {}); wait for it \
                 to finish, or build into another --output",
                path.display()
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Diagnostic::error(
            &path,
            None,
            format!("cannot take the build lock: {e}"),
        )),
    }
}

/// Removes the staging and parked folders of the output `name` that builds killed
/// before they finished left in `parent` (`.NAME.building-*`, `.NAME.old-*`). Called
/// with the output's lock held, so none of them belongs to a running build.
fn remove_stale(parent: &Path, name: &str) {
    let prefixes = [format!(".{name}.building-"), format!(".{name}.old-")];
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let n = file_name.to_string_lossy();
        if prefixes.iter().any(|p| n.starts_with(p.as_str()))
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            remove_tree(&e.path());
        }
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
    let path = under(root, rel);
    if let Some(parent) = path.parent() {
        make_folder(parent)?;
    }
    write_file(&path, bytes)
}

/// `root/rel` for a site path `rel` (with `/`).
fn under(root: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .filter(|s| !s.is_empty())
        .fold(root.to_path_buf(), |p, s| p.join(s))
}

fn make_folder(folder: &Path) -> Result<(), Diagnostic> {
    std::fs::create_dir_all(folder)
        .map_err(|e| Diagnostic::error(folder, None, format!("cannot create folder: {e}")))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    std::fs::write(path, bytes)
        .map_err(|e| Diagnostic::error(path, None, format!("cannot write: {e}")))
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
        // Nothing is left beside the output but its lock file.
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".public.lock", "public"]);
    }

    #[test]
    fn each_folder_is_made_once_and_files_land_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        let s = Staging::new(&target).unwrap();
        for rel in [
            "a/b/1.html",
            "a/b/2.html",
            "a/3.html",
            "/c//4.html",
            "5.html",
        ] {
            s.write(rel, rel.as_bytes()).unwrap();
        }
        let made = s.made.lock().unwrap().len();
        // The staging folder, a/b, a and c.
        assert_eq!(made, 4);
        s.commit().unwrap();
        assert_eq!(
            std::fs::read(target.join("a/b/2.html")).unwrap(),
            b"a/b/2.html"
        );
        assert_eq!(
            std::fs::read(target.join("c/4.html")).unwrap(),
            b"/c//4.html"
        );
    }

    #[test]
    fn a_killed_build_is_cleaned_up_and_two_builds_do_not_race() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("public");
        // What a build killed with SIGKILL leaves: its staging folder, a parked old
        // output. Another output's folders beside it are not this build's to remove.
        for stale in [
            ".public.building-a1b2",
            ".public.old-c3d4/site",
            ".other.building-x",
        ] {
            std::fs::create_dir_all(dir.path().join(stale)).unwrap();
            std::fs::write(dir.path().join(stale).join("index.html"), b"x").unwrap();
        }
        let first = Staging::new(&target).unwrap();
        assert!(!dir.path().join(".public.building-a1b2").exists());
        assert!(!dir.path().join(".public.old-c3d4").exists());
        assert!(dir.path().join(".other.building-x").exists());
        // While the first build runs, a second one of the same output is refused, and
        // does not touch the first one's staging folder.
        let e = Staging::new(&target).err().unwrap();
        assert!(e.message.contains("another gongkai build"), "{e}");
        assert!(first.path().is_dir());
        first.commit().unwrap();
        // Once it is done, the next build goes ahead.
        Staging::new(&target).unwrap().commit().unwrap();
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
