# R CMD check entry point; scripts/test runs testthat::test_dir("r/tests/testthat") directly.
library(testthat)
library(onset)
test_check("onset")
