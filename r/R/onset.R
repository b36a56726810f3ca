# onset from R: every function calls the onset C++ libraries in-process through
# libonset_api.so (src/onset_r.cpp); none runs the `onset` command.
#
# Errors: the native side returns a list of class "onset_failure" instead of raising; .call()
# turns it into an R condition of class c("onset_user_error", "onset_error", "error",
# "condition") for bad input (conditionMessage() is onset's "FILE:LINE:COLUMN: error: ..."
# text; the condition also carries file, line, column, problem, expected, fix), or
# "onset_analysis_error" for a simulation or fit that failed numerically.

.call <- function(symbol, ...) {
  result <- .Call(symbol, ...)
  if (inherits(result, "onset_failure")) {
    kind <- result$kind
    class <- switch(kind,
      user = c("onset_user_error", "onset_error", "error", "condition"),
      analysis = c("onset_analysis_error", "onset_error", "error", "condition"),
      c("onset_error", "error", "condition"))
    fields <- unclass(result)
    fields$kind <- NULL
    condition <- structure(c(fields, list(call = sys.call(-1))), class = class)
    stop(condition)
  }
  result
}

#' @export
onset_models <- function() .call(onset_r_models)

#' @export
onset_model <- function(file_or_name) {
  if (inherits(file_or_name, "onset_model")) return(file_or_name)
  if (!is.character(file_or_name) || length(file_or_name) != 1L || is.na(file_or_name))
    stop("onset_model: expected one library model name or model file path")
  pointer <- .call(onset_r_model_load, path.expand(file_or_name))
  info <- .call(onset_r_model_info, pointer)
  structure(c(list(pointer = pointer), info), class = "onset_model")
}

#' @export
print.onset_model <- function(x, ...) {
  cat("onset model", x$name, "(", x$source, ")\n")
  if (nzchar(x$description)) cat(x$description, "\n")
  cat("parameters:\n")
  print(x$parameters, row.names = FALSE)
  cat("observables:", paste0(x$observables$name, " [", x$observables$unit, "]",
                             collapse = ", "), "\n")
  invisible(x)
}

.model_name <- function(model) {
  if (inherits(model, "onset_model")) model$name_or_path else path.expand(model)
}

#' @export
onset_simulate <- function(model, data, params = NULL, times = NULL, with_records = FALSE,
                           backend = "auto", rtol = NULL, atol = NULL) {
  if (!inherits(model, "onset_model")) model <- onset_model(model)
  if (is.character(data) && length(data) == 1L) data <- path.expand(data)
  if (!is.null(times) && !is.double(times)) times <- as.double(times)
  .call(onset_r_simulate, model$pointer, data, params, times, with_records, backend, rtol, atol)
}

.columns <- function(columns) {
  # A columnar JSON table (named list of equal-length lists, NULL for null) as a data frame.
  out <- lapply(columns, function(column) {
    if (length(column) == 0L) return(logical(0))
    values <- lapply(column, function(v) if (is.null(v)) NA else v)
    unlist(values, use.names = FALSE)
  })
  as.data.frame(out, stringsAsFactors = FALSE, optional = TRUE)
}

#' @export
onset_fit <- function(model, data, start = NULL, fix = NULL, error = "additive",
                      error_for = NULL, ci = "wald", calibration = "t", multistart = 0L,
                      bootstrap = 200L, seed = 20240607, threads = 0L) {
  if (is.character(data) && length(data) == 1L) data <- path.expand(data)
  result <- .call(onset_r_fit, .model_name(model), data, error, error_for, start, fix, ci,
                  calibration, as.integer(multistart), as.integer(bootstrap), as.double(seed),
                  as.integer(threads))
  for (key in c("parameters", "error_models", "observations"))
    result[[key]] <- .columns(result[[key]])
  m <- length(result$correlation$names)
  correlation <- matrix(vapply(unlist(result$correlation$matrix, recursive = FALSE),
                               function(v) if (is.null(v)) NA_real_ else v, 0), m, m,
                        byrow = TRUE)
  dimnames(correlation) <- list(unlist(result$correlation$names),
                                unlist(result$correlation$names))
  result$correlation <- correlation
  result$notes <- unlist(result$notes)
  structure(result, class = "onset_fit")
}

#' @export
print.onset_fit <- function(x, ...) {
  cat("status:", x$status, "(", x$message, ")\n")
  cat("observations:", x$n_observations, "  -2 log L:", format(x$objective, digits = 8),
      "  AIC:", format(x$aic, digits = 8), "  BIC:", format(x$bic, digits = 8), "\n")
  print(x$parameters[, c("name", "estimate", "se", "rse_pct", "ci_low", "ci_high", "unit")],
        row.names = FALSE)
  invisible(x)
}

#' @export
onset_nca <- function(data, subject = NULL, time = "TIME", conc = "CONC", dose = NULL,
                      dose_column = NULL, route = "extravascular", duration = 0,
                      tissue = FALSE, auc = "linear", blq = "zero-before-tmax", lloq = NULL,
                      lloq_column = NULL, group = NULL, time_unit = "h", conc_unit = "mg/L",
                      dose_unit = "mg", volume_unit = "L", output_time_unit = NULL,
                      output_conc_unit = NULL, intervals = NULL,
                      lambda_z_start = NULL, lambda_z_end = NULL, lambda_z_points = NULL,
                      max_extrapolated = 20, min_r2adj = 0, sparse = FALSE,
                      confidence = 0.95, json = FALSE) {
  if (is.character(data) && length(data) == 1L) data <- path.expand(data)
  if (!is.null(intervals) && !is.list(intervals)) intervals <- list(intervals)
  options <- list(subject = subject, time = time, conc = conc, dose = dose,
                  dose_column = dose_column, route = route, duration = as.double(duration),
                  tissue = isTRUE(tissue), auc = auc, blq = blq, lloq = lloq, lloq_column = lloq_column, group = group,
                  time_unit = time_unit, conc_unit = conc_unit, dose_unit = dose_unit,
                  volume_unit = volume_unit, output_time_unit = output_time_unit,
                  output_conc_unit = output_conc_unit, intervals = intervals,
                  lambda_z_start = lambda_z_start, lambda_z_end = lambda_z_end,
                  lambda_z_points = lambda_z_points,
                  max_extrapolated = as.double(max_extrapolated),
                  min_r2adj = as.double(min_r2adj), sparse = isTRUE(sparse),
                  confidence = as.double(confidence))
  result <- .call(onset_r_nca, data, options)
  if (json) return(result)
  skip <- c("subject", "group", "excluded", "exclusion_reason", "units", "parameter_notes",
            "excluded_values", "data_notes", "sparse_auc", "lambda_z")
  rows <- list()
  for (item in result) {
    keys <- names(item)[!names(item) %in% skip]
    keys <- keys[vapply(item[keys], function(v) is.null(v) || is.atomic(v), TRUE)]
    if (length(keys) == 0L) next
    value <- vapply(item[keys], function(v) if (is.null(v)) NA_real_ else as.double(v), 0)
    unit <- vapply(keys, function(k) {
      u <- item$units[[k]]
      if (is.null(u)) "" else u
    }, "")
    note <- vapply(keys, function(k) {
      n <- item$parameter_notes[[k]]
      if (is.null(n)) "" else n
    }, "")
    frame <- data.frame(subject = rep(if (is.null(item$subject)) NA_character_ else
                                        as.character(item$subject), length(keys)),
                        stringsAsFactors = FALSE)
    if (!is.null(item$group)) frame$group <- item$group
    frame$PPTESTCD <- keys
    frame$PPSTRESN <- unname(value)
    frame$PPSTRESU <- unname(unit)
    frame$excluded <- keys %in% names(item$excluded_values)
    frame$note <- unname(note)
    rows[[length(rows) + 1L]] <- frame
  }
  out <- do.call(rbind, rows)
  attr(out, "json") <- result
  out
}

#' @export
onset_check <- function(claim_file, draws = 10000, seed = 1, threads = 0L,
                        unlikely_below = 0.05, report = NULL) {
  if (!is.null(report)) report <- path.expand(report)
  result <- .call(onset_r_check, path.expand(claim_file), as.double(draws), as.double(seed),
                  as.integer(threads), as.double(unlikely_below), report)
  attr(result, "report") <- report
  structure(result, class = "onset_check")
}

.or_na <- function(v) if (is.null(v)) NA else v

#' @export
onset_verdicts <- function(x) {
  rows <- lapply(x$claims, function(item) {
    q <- item$onset_quantiles_h
    data.frame(id = item$id, verdict = item$verdict,
               claimed_within_h = .or_na(item$claimed_within_h),
               best_case_onset_h = as.double(.or_na(item$best_case_onset_h)),
               p05_h = as.double(.or_na(q$p05)), p50_h = as.double(.or_na(q$p50)),
               p95_h = as.double(.or_na(q$p95)),
               p_within_claim = as.double(.or_na(item$p_within_claim)),
               stringsAsFactors = FALSE)
  })
  do.call(rbind, rows)
}

#' @export
as.data.frame.onset_check <- function(x, ...) onset_verdicts(x)

#' @export
print.onset_check <- function(x, ...) {
  print(onset_verdicts(x), row.names = FALSE)
  if (!is.null(attr(x, "report"))) cat("report written to", attr(x, "report"), "\n")
  invisible(x)
}
