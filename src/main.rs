// A check allocates many small values on every thread, which mimalloc serves
// faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    chartgen::commands::run()
}
