fn main() -> std::process::ExitCode {
    chartgen::commands::run()
}
