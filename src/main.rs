//! The `tcpexplain` command. Everything happens in [`tcpexplain::cli`].

fn main() {
    keep_heap_top();
    std::process::exit(tcpexplain::cli::run(std::env::args().collect()));
}

/// glibc gives the top of its heap back to the system whenever 128 KiB of it
/// are free. The look-ahead's lines come and go in waves that cross that mark
/// every few dozen lines, and each time the memory is taken again it costs page
/// faults: about 25,000 per million lines of a bulk transfer, 7% of the time
/// `--format jsonl` takes. Keeping up to 64 MiB free at the top stops that;
/// the peak is unchanged.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_heap_top() {
    // SAFETY: mallopt only sets a tuning parameter of the allocator, and no
    // other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_heap_top() {}
