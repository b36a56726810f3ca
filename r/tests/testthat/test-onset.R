# The R package against the `onset` binary: the same estimates, NCA and check numbers as the
# CLI's JSON (the binary runs in the test; jsonlite reads its output), a model file written in
# the session loaded and simulated with no compiler on the PATH, and onset's
# file:line:column messages as R conditions.

theoph_nonmem <- function() file.path(onset_root(), "data", "examples", "theoph_nonmem.csv")
theoph <- function() file.path(shared_dir(), "data", "theoph.csv")  # R's datasets::Theoph
case_report <- function() file.path(onset_root(), "data", "claims", "case-report-4h.yaml")
b1_doses <- function() file.path(onset_root(), "data", "examples", "b1_infusions.csv")

test_that("the onset binary the tests compare with is built", {
  expect_true(file.exists(onset_bin()))
})

# ---- fit ------------------------------------------------------------------------------------

fit_args <- function() c("fit", "one_compartment_oral", "--data", theoph_nonmem(),
                         "--start", "KA=1.5", "--start", "CL=3", "--start", "V=30")
theoph_start <- list(KA = 1.5, CL = 3, V = 30)

test_that("the Theophylline fit gives the CLI's estimates to the last digit", {
  expected <- cli_json(fit_args(), "--format", "json")
  text <- strsplit(run_cli(fit_args())$stdout, "\n")[[1]]
  fit <- onset_fit("one_compartment_oral", theoph_nonmem(), start = theoph_start)
  expect_true(fit$converged)
  expect_identical(fit$status, expected$status)
  expect_identical(fit$objective, expected$objective)
  expect_identical(c(fit$aic, fit$bic), c(expected$aic, expected$bic))
  for (p in expected$parameters) {
    row <- fit$parameters[fit$parameters$name == p$name, ]
    # The same library call: every number is the CLI's, bit for bit.
    # (JSON null, for the fixed ALAG's SE and interval, is NA in the data frame.)
    for (key in c("estimate", "se", "ci_low", "ci_high", "rse_pct"))
      expect_identical(row[[key]], if (is.null(p[[key]])) NA_real_ else p[[key]], label = key)
    expect_identical(row$fixed, p$fixed)
    # As the CLI's table prints it (6 significant digits).
    line <- grep(paste0("^", p$name, " "), text, value = TRUE)
    expect_identical(strsplit(line, " +")[[1]][2], sprintf("%.6g", row$estimate))
  }
  expected_correlation <- matrix(unlist(expected$correlation$matrix), 3, 3, byrow = TRUE)
  expect_identical(unname(fit$correlation), expected_correlation)
  expect_identical(rownames(fit$correlation), unlist(expected$correlation$names))
  # The per-observation table: 132 concentrations, residuals DV - PRED.
  expect_equal(nrow(fit$observations), 132L)
  expect_equal(fit$observations$RES, fit$observations$DV - fit$observations$PRED,
               tolerance = 1e-12)
})

test_that("a fit of a data frame equals the fit of the file", {
  frame <- read.csv(theoph_nonmem(), stringsAsFactors = FALSE)  # DV "." cells: text
  from_frame <- onset_fit("one_compartment_oral", frame, start = theoph_start)
  from_file <- onset_fit("one_compartment_oral", theoph_nonmem(), start = theoph_start)
  expect_identical(from_frame$parameters$estimate, from_file$parameters$estimate)
})

# ---- nca ------------------------------------------------------------------------------------

nca_theoph <- function(data, ...) {
  onset_nca(data, subject = "Subject", time = "Time", conc = "conc", dose_column = "Dose",
            route = "extravascular", ...)
}

test_that("NCA of Theoph gives the CLI's JSON numbers exactly, with CDISC names", {
  expected <- cli_json("nca", theoph(), "--subject", "Subject", "--time", "Time", "--conc",
                       "conc", "--dose-col", "Dose", "--route", "extravascular",
                       "--format", "json")
  expect_identical(nca_theoph(theoph(), json = TRUE), expected)
  frame <- nca_theoph(theoph())
  expect_length(expected, 12L)
  compared <- 0
  for (subject in expected) {
    rows <- frame[frame$subject == as.character(subject$subject), ]
    for (code in c("CMAX", "TMAX", "AUCLST", "AUCIFO", "LAMZ", "LAMZHL", "CLFO", "VZFO")) {
      value <- rows$PPSTRESN[rows$PPTESTCD == code]
      if (is.null(subject[[code]])) {
        expect_true(is.na(value))
      } else {
        expect_identical(value, as.double(subject[[code]]))
        compared <- compared + 1
      }
      unit <- subject$units[[code]]
      expect_identical(rows$PPSTRESU[rows$PPTESTCD == code], if (is.null(unit)) "" else unit)
    }
  }
  expect_gte(compared, 80)
})

test_that("NCA of a data frame equals NCA of the file", {
  expect_identical(nca_theoph(read.csv(theoph()), json = TRUE), nca_theoph(theoph(), json = TRUE))
})

test_that("NCA options reach the analysis as the CLI options do", {
  # Read by api::read_nca_options (shared with Python): partial AUCs, a manual terminal phase,
  # a stricter extrapolation limit and the AUC rule must give the CLI's JSON.
  expected <- cli_json("nca", theoph(), "--subject", "Subject", "--time", "Time", "--conc",
                       "conc", "--dose-col", "Dose", "--route", "extravascular",
                       "--interval", "0,12", "--interval", "2,24", "--lambdaz-points", "4",
                       "--max-extrapolation", "10", "--auc", "linear-up-log-down",
                       "--format", "json")
  got <- nca_theoph(theoph(), json = TRUE, intervals = list(c(0, 12), c(2, 24)),
                    lambda_z_points = 4, max_extrapolated = 10, auc = "linear-up-log-down")
  expect_identical(got, expected)
  expect_false(identical(got, nca_theoph(theoph(), json = TRUE)))
  expect_error(nca_theoph(theoph(), intervals = list(c(0, 12, 24))), "expected pairs")
})

test_that("tissue NCA in %ID/g reaches the analysis as --tissue and --out-time-unit do", {
  # Liver %ID/g after an IV bolus: the table and hand calculation of
  # tests/nca/nca_tissue_test.cpp (AUClast 184.948877 h*%ID/g by linear-up/log-down, from
  # (0, 0) at the dose: a tissue has no C0); in min*%ID/g it is 60 times that.
  liver <- data.frame(ID = rep("liver", 6), TIME = c(0.25, 1, 4, 8, 24, 48),
                      CONC = c(7.38, 15.4, 13.4, 8.99, 1.81, 0.165))
  path <- tempfile(fileext = ".csv")
  on.exit(unlink(path))
  write.csv(liver, path, row.names = FALSE)
  expected <- cli_json("nca", path, "--subject", "ID", "--time", "TIME", "--conc", "CONC",
                       "--dose", "1", "--route", "bolus", "--tissue", "--auc",
                       "linear-up-log-down", "--conc-unit", "%ID/g", "--out-time-unit", "min",
                       "--format", "json")
  got <- onset_nca(liver, subject = "ID", dose = 1, route = "bolus", tissue = TRUE,
                   auc = "linear-up-log-down", conc_unit = "%ID/g", output_time_unit = "min",
                   json = TRUE)
  expect_identical(got, expected)
  expect_equal(got[[1]]$AUCLST, 184.948877 * 60, tolerance = 1e-8)
  expect_identical(got[[1]]$units$AUCLST, "min*%ID/g")
  expect_null(got[[1]]$C0)
})

# ---- check ----------------------------------------------------------------------------------

test_that("onset_check of the case report gives the CLI's JSON", {
  # The claims scripts/demo checks, with 1,000 draws (the demo's 10,000 take half a minute of
  # CPU each way); the same seed gives the same draws for any thread count.
  expected <- cli_json("check", case_report(), "--draws", "1000", "--threads", "2",
                       "--format", "json")
  result <- onset_check(case_report(), draws = 1000, threads = 2L)
  expect_identical(unclass(result)[names(expected)], expected)
  verdicts <- onset_verdicts(result)
  expect_identical(verdicts$id, vapply(expected$claims, function(c) c$id, ""))
  expect_identical(verdicts$verdict, vapply(expected$claims, function(c) c$verdict, ""))
})

# ---- simulate -------------------------------------------------------------------------------

test_that("simulating B1 matches the CLI, from a file and from a data frame", {
  expected <- read.csv(text = run_cli("simulate", "two_compartment_iv", "--data", b1_doses())$stdout)
  sim <- onset_simulate("two_compartment_iv", b1_doses())
  expect_s3_class(sim, "data.frame")
  expect_identical(attr(sim, "units"), c(TIME = "h", CP = "mg/L"))
  expect_identical(sim$TIME, as.double(expected$TIME))
  # The CLI prints 10 significant digits.
  expect_equal(sim$CP, expected$CP, tolerance = 1e-9)
  doses <- data.frame(ID = 1, TIME = 24 * (0:6), AMT = 1000, RATE = 1000, CMT = 1L)
  grid <- seq(0, 168, by = 0.5)
  on_grid <- onset_simulate(onset_model("two_compartment_iv"), doses,
                            params = c(CL = 5, V1 = 10, Q = 2, V2 = 40), times = grid)
  expect_identical(on_grid$TIME, grid)
  expect_identical(names(on_grid), c("ID", "TIME", "CP"))
  common <- setdiff(intersect(grid, expected$TIME), 24 * (0:6))
  expect_equal(on_grid$CP[match(common, grid)], expected$CP[match(common, expected$TIME)],
               tolerance = 1e-9)
})

yaml_model <- c(
  "name: session_model",
  "description: written by the test, loaded with no compiler on the PATH",
  "parameters:",
  "  CL: {value: 4, unit: L/h, lower: 0}",
  "  V: {value: 20, unit: L, lower: 0}",
  "compartments:",
  "  central: {unit: mg, volume: V}",
  "processes:",
  "  - {name: elimination, type: first_order, from: central, k: CL}",
  "observables:",
  "  CP: {concentration: central, unit: mg/L}")

test_that("a model file written in the session loads and simulates with no compiler", {
  path <- tempfile(fileext = ".yaml")
  writeLines(yaml_model, path)
  empty <- tempfile("bin")
  dir.create(empty)
  old <- Sys.getenv("PATH")
  Sys.setenv(PATH = empty)
  on.exit(Sys.setenv(PATH = old), add = TRUE)
  for (compiler in c("cc", "c++", "gcc", "g++", "clang", "clang++", "cpp", "ld", "as"))
    expect_identical(unname(Sys.which(compiler)), "")
  model <- onset_model(path)
  expect_identical(model$name, "session_model")
  expect_identical(model$parameters$name, c("CL", "V"))
  times <- seq(0, 24, by = 0.5)
  sim <- onset_simulate(model, data.frame(TIME = 0, AMT = 100), params = list(CL = 5),
                        times = times)
  # IV bolus into one compartment: C(t) = D/V exp(-CL/V t) (matrix exponential: exact).
  expect_equal(sim$CP, 100 / 20 * exp(-5 / 20 * times), tolerance = 1e-12)
})

# ---- errors ---------------------------------------------------------------------------------

test_that("a bad model file is an R error with the file, line and column", {
  path <- tempfile(fileext = ".yaml")
  writeLines(sub("V: {value: 20,", "V: {value: .nan,", yaml_model, fixed = TRUE), path)
  error <- tryCatch(onset_model(path), error = function(e) e)
  expect_s3_class(error, "onset_user_error")
  expect_s3_class(error, "error")
  # Line 5 of the file, column 14: the '.nan' after "V: {value: ".
  expect_identical(list(error$file, error$line, error$column), list(path, 5L, 14L))
  expect_true(startsWith(conditionMessage(error), paste0(path, ":5:14: error: found '.nan'")))
  # The CLI's message, word for word.
  run <- run_cli("simulate", path, "--data", b1_doses())
  expect_identical(run$status, 2L)
  expect_identical(run$stderr, paste0("onset simulate: ", conditionMessage(error)))
  expect_error(onset_model(path), "5:14: error: found '.nan'", fixed = TRUE,
               class = "onset_user_error")
})

test_that("a bad dose cell names the data frame's row and column", {
  expect_error(onset_simulate("two_compartment_iv", data.frame(TIME = c(0, 1), AMT = c(100, -5))),
               "data frame 'doses', row 2, column AMT: error: ", fixed = TRUE,
               class = "onset_user_error")
  expect_error(onset_simulate("two_compartment_iv", data.frame(TIME = 0, AMT = 1),
                              params = c(CLX = 1)),
               "has no parameter 'CLX'", class = "onset_user_error")
  expect_error(onset_simulate("two_compartment_iv", data.frame(TIME = 0, AMT = 1),
                              params = c(CL = -1)),
               "outside the range", class = "onset_user_error")
})

test_that("an unknown model name lists the library", {
  expect_error(onset_model("no_such_model"), "two_compartment_iv", class = "onset_user_error")
  expect_true("two_compartment_iv" %in% onset_models())
})
