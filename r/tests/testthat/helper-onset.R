# Paths of the source tree, the onset binary (run in the tests, to compare with) and the
# shared reference data. scripts/test sets ONSET_SOURCE_DIR, ONSET_BIN and ONSET_SHARED_DIR.
onset_root <- function() {
  root <- Sys.getenv("ONSET_SOURCE_DIR")
  if (!nzchar(root)) root <- normalizePath(file.path(testthat::test_path(), "..", "..", ".."))
  root
}
onset_bin <- function() {
  bin <- Sys.getenv("ONSET_BIN")
  if (!nzchar(bin)) bin <- file.path(onset_root(), "build", "bin", "onset")
  bin
}
shared_dir <- function() {
  shared <- Sys.getenv("ONSET_SHARED_DIR")
  if (!nzchar(shared)) shared <- file.path(onset_root(), "..", "shared")
  shared
}
# Runs the binary; returns list(status, stdout, stderr).
run_cli <- function(...) {
  out <- tempfile()
  err <- tempfile()
  on.exit(unlink(c(out, err)))
  status <- system2(onset_bin(), shQuote(c(...)), stdout = out, stderr = err)
  list(status = status, stdout = paste(readLines(out, warn = FALSE), collapse = "\n"),
       stderr = paste(readLines(err, warn = FALSE), collapse = "\n"))
}
cli_json <- function(...) {
  run <- run_cli(...)
  stopifnot(run$status == 0)
  jsonlite::fromJSON(run$stdout, simplifyVector = FALSE)
}
