//! Files given on the command line, read and written safely: the one place that decides what an
//! input path may be and what an output path may replace.
//!
//! **Inputs** ([`read_text`]): only regular files are read. A FIFO without a writer would block
//! forever, `/dev/zero` and `/dev/urandom` never end, a directory is not a document: each is
//! refused with [`Error::NotRegularFile`] from its metadata, before it is opened. The file is then
//! opened without blocking (`O_NONBLOCK`, in case it was swapped for a FIFO in between), its
//! handle checked again, and at most `limit + 1` bytes are read, so a file that grows while it is
//! read is refused too ([`Error::TooLarge`]). Every reader of the crate (fixtures, traces,
//! certificates) goes through here with its own limit.
//!
//! **Outputs** ([`write_atomically`]): a regular file is replaced atomically (a temporary file in
//! the same directory, flushed, renamed over it); a symbolic link is written *through*: its final
//! target is replaced the same way and the link stays; a FIFO, a device, a socket or a directory
//! is never replaced ([`Error::NotRegularFile`]). Temporary files are named
//! `.NAME.PID.tmp`; [`remove_stale_temporaries`] deletes those of processes that no longer run
//! (a run killed between writing and renaming), so that the next run cleans up after it.
//!
//! **Interruptions** ([`clean_up_on_interrupt`], unix): on SIGINT or SIGTERM a watcher thread
//! removes the staging directories that exist, and the process then dies of the signal as it
//! would have. The watcher acts only between this module's file-system changes: a write
//! ([`write_atomically`]: temporary, flush, rename) finishes first, so it leaves the old file or
//! the new one and no temporary; a writer that moves a set of files into place does so
//! [`uninterrupted`], so an interrupted `fixtures` run leaves the old set or the new one.
//! (SIGKILL cannot be caught: its leftovers go to [`remove_stale_temporaries`].)

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result, escaped};

/// A path as it appears in messages: its text, with control characters escaped
/// ([`crate::error::escaped`]) so that a file name with a newline keeps a message on one line.
pub fn shown(path: &Path) -> String {
    escaped(&path.display().to_string())
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io {
        path: shown(path),
        message: e.to_string(),
    }
}

/// What a non-regular file is, for messages.
fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

fn not_regular(path: &Path, t: std::fs::FileType, refusal: &'static str) -> Error {
    Error::NotRegularFile {
        path: shown(path),
        kind: kind_of(t),
        refusal,
    }
}

/// Opens `path` for reading without blocking on a FIFO (unix: `O_NONBLOCK`; regular files ignore
/// the flag).
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Opens the regular file `path` for reading, with its size: anything else (FIFO, device,
/// directory, socket) is refused from its metadata before it is opened, the open itself never
/// blocks (`O_NONBLOCK`), and what was opened is checked again, since the path may have been
/// replaced between the two. Streaming readers (`check`'s trace) take the file from here.
///
/// # Errors
/// [`Error::Io`] (missing, unreadable), [`Error::NotRegularFile`].
pub fn open_regular(path: &Path) -> Result<(std::fs::File, u64)> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if !meta.is_file() {
        return Err(not_regular(path, meta.file_type(), "not read"));
    }
    let file = open_nonblocking(path).map_err(io(path))?;
    let opened = file.metadata().map_err(io(path))?;
    if !opened.is_file() {
        return Err(not_regular(path, opened.file_type(), "not read"));
    }
    Ok((file, opened.len()))
}

/// Reads the bytes of the regular file `path` ([`open_regular`]), at most `limit` of them.
///
/// # Errors
/// [`Error::Io`] (missing, unreadable), [`Error::NotRegularFile`] (FIFO, device, directory,
/// socket), [`Error::TooLarge`] (more than `limit` bytes, before reading or while reading).
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let too_large = |size: u64| Error::TooLarge {
        path: shown(path),
        size,
        limit,
    };
    let (file, size) = open_regular(path)?;
    if size > limit {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(limit)).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads the regular file `path` as UTF-8 text, at most `limit` bytes (see [`read_bytes`]).
///
/// # Errors
/// As [`read_bytes`], and [`Error::Io`] for text that is not UTF-8.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read_bytes(path, limit)?).map_err(|e| Error::Io {
        path: shown(path),
        message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
    })
}

/// Where a write to `path` lands: `path` itself, or the final target of a symbolic link (written
/// through). Refuses a path that exists and is not a regular file.
///
/// # Errors
/// [`Error::NotRegularFile`] for a FIFO, device, socket or directory (or a link to one);
/// [`Error::Io`] for a link whose target cannot be resolved.
pub fn output_target(path: &Path) -> Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(path.to_path_buf()),
        Err(e) => Err(io(path)(e)),
        Ok(meta) if meta.file_type().is_symlink() => {
            // Written through: the link stays, its final target is replaced.
            let target = std::fs::canonicalize(path).map_err(|e| Error::Io {
                path: shown(path),
                message: format!("a symbolic link whose target cannot be resolved ({e})"),
            })?;
            let meta = std::fs::metadata(&target).map_err(io(&target))?;
            if meta.is_file() {
                Ok(target)
            } else {
                Err(not_regular(path, meta.file_type(), "not replaced"))
            }
        }
        Ok(meta) if meta.is_file() => Ok(path.to_path_buf()),
        Ok(meta) => Err(not_regular(path, meta.file_type(), "not replaced")),
    }
}

/// The temporary file a write to `target` goes through: `.NAME.PID.tmp` in the same directory (a
/// leading dot hides it from listings; the process id keeps two writers apart).
fn temporary(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes `text` to `path` atomically, creating its directory: a temporary file in the same
/// directory, flushed to disk, then renamed into place, so that `path` never holds a half-written
/// document (a rename within a file system is atomic). A symbolic link is written through
/// ([`output_target`]); a FIFO, device, socket or directory is refused. The temporary file is
/// removed if anything fails.
///
/// # Errors
/// [`Error::Io`] naming `path`, [`Error::NotRegularFile`].
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let target = output_target(path)?;
    let io = io(path);
    let name = target
        .file_name()
        .ok_or_else(|| io(std::io::Error::other("not a file name")))?
        .to_string_lossy()
        .into_owned();
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The whole write holds off an interruption (`uninterrupted`): the watcher of
    // `clean_up_on_interrupt` acts between writes, never on a half-made directory or temporary,
    // so an interrupted write leaves the old file or the new one and no temporary.
    let _held = temporaries();
    std::fs::create_dir_all(&dir).map_err(&io)?;
    let tmp = temporary(&dir, &name);
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Whether process `pid` is running. Where this cannot be told (no `/proc`), every process counts
/// as running, so nothing of a concurrent writer is removed.
fn running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || pid == std::process::id() || proc.join(pid.to_string()).exists()
}

/// The process id in a temporary name `.NAME.PID.tmp`, if `name` is one.
fn temporary_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = rest.rsplit_once('.')?;
    pid.parse().ok()
}

/// Removes, under `dir` (recursively, not following links), the temporary files and directories
/// `.NAME.PID.tmp` of processes that no longer run: what a killed writer left behind. Returns the
/// paths removed.
///
/// # Errors
/// [`Error::Io`] when a directory cannot be listed or an entry removed.
pub fn remove_stale_temporaries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        r => r.map_err(io(dir))?,
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let t = entry.file_type().map_err(io(&path))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        match temporary_pid(&name) {
            Some(pid) if !running(pid) => {
                if t.is_dir() {
                    std::fs::remove_dir_all(&path).map_err(io(&path))?;
                } else {
                    std::fs::remove_file(&path).map_err(io(&path))?;
                }
                removed.push(path);
            }
            _ if t.is_dir() => removed.extend(remove_stale_temporaries(&path)?),
            _ => {}
        }
    }
    Ok(removed)
}

/// A fresh staging directory `.NAME.PID.tmp` inside `dir`, for writers of several files that
/// write them all before moving any into place. It is removed when the returned guard is dropped,
/// and by [`clean_up_on_interrupt`]'s watcher if the process is interrupted first.
///
/// # Errors
/// [`Error::Io`].
pub fn staging_dir(dir: &Path, name: &str) -> Result<Staging> {
    let staging = temporary(dir, name);
    // Listed and made in one step under the list's lock: the watcher sees it whole or not at all.
    let mut list = temporaries();
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    list.push(staging.clone());
    Ok(Staging(staging))
}

/// A staging directory ([`staging_dir`]), removed with its contents when dropped.
#[derive(Debug)]
pub struct Staging(PathBuf);

impl Staging {
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let mut list = temporaries();
        let _ = std::fs::remove_dir_all(&self.0);
        if let Some(i) = list.iter().rposition(|p| *p == self.0) {
            list.swap_remove(i);
        }
    }
}

/// The staging directories that exist now (listed when made, unlisted when removed): what an
/// interruption removes. Its lock is also what holds an interruption off: every file-system
/// change of this module (a write, a staging directory made or removed, an [`uninterrupted`]
/// section) happens while it is held, and the watcher takes it before removing anything.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic while the list was held leaves it valid (pushes and removals are whole).
    TEMPORARIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` so that an interruption ([`clean_up_on_interrupt`]) waits until it returns: for the
/// renames that move a set of files into place, which then happen all or (interrupted before)
/// not at all. `f` must not call this module's writers ([`write_atomically`] would wait for `f`).
pub fn uninterrupted<R>(f: impl FnOnce() -> R) -> R {
    let _held = temporaries();
    f()
}

/// When the process receives SIGINT or SIGTERM: lets a write in progress finish, removes the
/// staging directories that exist, then lets the signal take its default course (the process dies of it, exit status
/// 128 + signal in a shell). Call it once, first thing in `main`, before any other thread starts:
/// the two signals are blocked in the calling thread, every thread started later inherits that,
/// and one watcher thread takes them with `sigwait` — so the removal runs as ordinary code, not
/// in a signal handler, and waits for an [`uninterrupted`] section to end.
///
/// # Errors
/// [`Error::Io`] when the signal mask cannot be set or the watcher thread cannot start.
#[cfg(unix)]
pub fn clean_up_on_interrupt() -> Result<()> {
    let failed = |message: String| Error::Io {
        path: "(signals)".into(),
        message,
    };
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before use; pthread_sigmask and
    // sigwait get valid pointers to it, and raise only signals this process.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(failed(std::io::Error::from_raw_os_error(rc).to_string()));
        }
        set
    };
    std::thread::Builder::new()
        .name("interrupt".into())
        .spawn(move || {
            let mut signal = 0;
            // SAFETY: as above.
            while unsafe { libc::sigwait(&set, &mut signal) } != 0 {}
            // Held until the process ends: no temporary is listed or renamed after this.
            let mut list = temporaries();
            for path in list.drain(..) {
                let _ = match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
                    _ => std::fs::remove_file(&path),
                };
            }
            // SAFETY: as above; restores the default action and delivers the signal to this
            // thread, which terminates the process.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                libc::raise(signal);
            }
            // Not reached with the default action of SIGINT and SIGTERM.
            std::process::exit(128 + signal);
        })
        .map(|_| ())
        .map_err(|e| failed(e.to_string()))
}

/// Without unix signals there is nothing to watch.
#[cfg(not(unix))]
pub fn clean_up_on_interrupt() -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_carry_their_writer() {
        assert_eq!(temporary_pid(".a.json.123.tmp"), Some(123));
        assert_eq!(temporary_pid(".fixtures.9.tmp"), Some(9));
        assert_eq!(temporary_pid("a.json"), None);
        assert_eq!(temporary_pid(".a.json.x.tmp"), None);
        let t = temporary(Path::new("d"), "x.svg");
        let name = t.file_name().unwrap().to_str().unwrap();
        assert_eq!(temporary_pid(name), Some(std::process::id()));
    }
}
