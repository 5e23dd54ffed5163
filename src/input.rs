//! Opening and reading named inputs so that a wait can always be interrupted.
//!
//! A named pipe with no writer blocks `open()` until one comes, and a pipe or
//! device whose writer is silent blocks `read()`: neither returns to let the
//! program see a Ctrl-C. So every named input is opened without blocking
//! (`O_NONBLOCK`, which opens a pipe at once), regular files are then read as
//! usual, and anything else is read through [`Interruptible`], which waits
//! for bytes with `poll()` a short time at a time and asks its caller, at
//! each pause and every few MiB read, whether to go on.
//!
//! Files are read into buffers, never mapped: a mapped file that another
//! program cuts short while it is read (a log rotated) stops the process
//! with SIGBUS, whereas a read just ends early.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// How long one wait for bytes lasts before the caller is asked again.
pub const PAUSE_MS: i32 = 100;

/// Bytes read between two questions to the caller while bytes flow.
pub const CHECK_EVERY: usize = 8 << 20;

/// Opens `path` for reading without blocking; says whether it is a regular
/// file (then it reads as usual, blocking) or not (then it must be read
/// through [`Interruptible`]).
pub fn open(path: &Path) -> io::Result<(File, bool)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let regular = file.metadata()?.is_file();
    if regular {
        set_blocking(&file)?;
    }
    Ok((file, regular))
}

/// Clears `O_NONBLOCK`.
#[cfg(unix)]
#[allow(unsafe_code)]
fn set_blocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function borrows, open for its whole
    // call; F_GETFL and F_SETFL read and set status flags only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_blocking(_: &File) -> io::Result<()> {
    Ok(())
}

/// A reader that asks `go_on` whether to keep reading: while it waits for
/// bytes, every [`PAUSE_MS`] milliseconds, and every [`CHECK_EVERY`] bytes
/// read. An error from `go_on` ends the read with that error.
pub struct Interruptible<F> {
    file: File,
    /// Whether the file is a pipe or device opened without blocking (else a
    /// regular file, read as usual).
    polled: bool,
    go_on: F,
    /// Bytes read since `go_on` was last asked.
    since: usize,
}

impl<F: FnMut() -> io::Result<()>> Interruptible<F> {
    /// Reads `file`; `polled` when it was opened without blocking and is not
    /// a regular file (see [`open`]).
    pub fn new(file: File, polled: bool, go_on: F) -> Interruptible<F> {
        Interruptible {
            file,
            polled,
            go_on,
            since: 0,
        }
    }

    /// Waits until the file has bytes (or its end, or an error) to read.
    #[cfg(unix)]
    #[allow(unsafe_code)]
    fn wait(&mut self) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        loop {
            let mut fd = libc::pollfd {
                fd: self.file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd, owned by this frame, for a descriptor open
            // as long as `self.file`.
            let ready = unsafe { libc::poll(&mut fd, 1, PAUSE_MS) };
            if ready > 0 {
                return Ok(());
            }
            if ready < 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            (self.go_on)()?;
        }
    }

    #[cfg(not(unix))]
    fn wait(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<F: FnMut() -> io::Result<()>> Read for Interruptible<F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.since >= CHECK_EVERY {
            self.since = 0;
            (self.go_on)()?;
        }
        loop {
            if self.polled {
                self.wait()?;
            }
            match self.file.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Ok(n) => {
                    self.since = self.since.saturating_add(n);
                    return Ok(n);
                }
                Err(e) => return Err(e),
            }
        }
    }
}
