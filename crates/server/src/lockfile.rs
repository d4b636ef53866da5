//! One server per data folder: an exclusive advisory lock (`flock`) on `auralis.lock` in the data
//! folder, held for the server's lifetime. A second server on the same folder would delete the
//! first one's temporary cache files and race it on SQLite; it stops at once instead. The lock
//! dies with the process, so a crash never leaves a stale lock behind.
//!
//! Not for: locking between the server and the `auralis user` commands (SQLite handles those
//! writes safely on its own).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// File name of the lock inside the data folder.
pub const LOCK_FILE: &str = "auralis.lock";

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

impl DataLock {
    /// Takes the lock of `data_dir`, or says which process holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataLock, String> {
        let path = data_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::WouldBlock {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (process {holder})")
                };
                return Err(format!(
                    "another Auralis server is already using the data folder {}{who}; stop it \
                     first, or give this one another --data-dir",
                    data_dir.display()
                ));
            }
            return Err(format!("cannot lock {}: {err}", path.display()));
        }
        // Who holds it, for the message above (best effort: the lock is what counts).
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = writeln!(file, "{}", std::process::id());
        Ok(DataLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path()).unwrap();
        let e = DataLock::acquire(dir.path()).unwrap_err();
        assert!(e.contains("already using the data folder"), "{e}");
        assert!(e.contains(&std::process::id().to_string()), "{e}");
        drop(first);
        DataLock::acquire(dir.path()).unwrap();
    }
}
