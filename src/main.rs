//! The `tcpexplain` command. Everything happens in [`tcpexplain::cli`].

fn main() {
    std::process::exit(tcpexplain::cli::run(std::env::args().collect()));
}
