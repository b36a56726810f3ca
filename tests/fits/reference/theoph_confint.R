# Reference for tests/fits/theoph_fit_test.cpp (intervals): the theophylline nls fit of
# theoph_nls.R, 95 % intervals
#   profile: MASS's confint.nls (profile t statistic, t quantile with N - p = 129 df, i.e.
#            RSS(theta) / RSS(theta_hat) <= 1 + t^2 / (N - p); Bates & Watts 1988, ch. 6), at
#            the profile's default spacing, then refined: the bound is where the profile t
#            crosses the quantile, found by uniroot on a profile refitted at each point
#            (confint.nls interpolates a spline through a coarse grid);
#   Wald:    onset's estimation scale is log for positive parameters, so
#            exp(log(est) +- t_{0.975, 129} se / est) with nls's se (the delta method);
#   also the large-sample versions (chi-square 1 df threshold on N log RSS; normal quantile).
# Run (needs MASS: Debian r-cran-mass; R is not needed to run the tests):
#   Rscript theoph_confint.R ../../../../shared/data/theoph.csv > theoph_confint.csv
suppressPackageStartupMessages(library(MASS))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$amt <- d$Dose * d$Wt
form <- conc ~ amt * KA / (V * (KA - CL / V)) * (exp(-CL / V * Time) - exp(-KA * Time))
ctl <- nls.control(maxiter = 200, tol = 1e-8, minFactor = 1e-10)
fit <- nls(form, data = d, start = list(KA = 1.5, CL = 3, V = 32), control = ctl)
est <- coef(fit)
se <- summary(fit)$coefficients[, 2]
n <- nrow(d)
df <- n - length(est)
rss_hat <- deviance(fit)
level <- 0.95
t_q <- qt(0.5 + level / 2, df)
z_q <- qnorm(0.5 + level / 2)
# RSS with parameter `name` fixed at `value`, the others refitted.
profile_rss <- function(name, value) {
  others <- est[names(est) != name]
  fixed <- list(value)
  names(fixed) <- name
  # warnOnly: at some points Gauss-Newton stalls at a relative offset just above 1e-8
  # (rounding); accept 1e-6, far below what moves the RSS at 1e-12.
  f <- nls(form, data = cbind(d, as.data.frame(fixed)), start = as.list(others),
           control = nls.control(maxiter = 200, tol = 1e-8, minFactor = 1e-10, warnOnly = TRUE))
  stopifnot(f$convInfo$finTol < 1e-6)
  deviance(f)
}
# Where the ratio RSS(value) / RSS_hat reaches `ratio`, on each side of the estimate.
bound <- function(name, ratio, side, guess) {
  g <- function(value) profile_rss(name, value) / rss_hat - ratio
  width <- abs(guess - est[[name]])
  ends <- est[[name]] + side * c(0.8, 1.25) * width
  uniroot(g, sort(ends), tol = 1e-12 * est[[name]])$root
}
mass <- confint(fit, level = level)
rows <- list()
for (name in names(est)) {
  ratio_t <- 1 + t_q^2 / df
  ratio_chi <- exp(qchisq(level, 1) / n)
  rows[[length(rows) + 1]] <- data.frame(
    name = name,
    profile_t_low = bound(name, ratio_t, -1, mass[name, 1]),
    profile_t_high = bound(name, ratio_t, 1, mass[name, 2]),
    mass_low = mass[name, 1], mass_high = mass[name, 2],
    profile_chisq_low = bound(name, ratio_chi, -1, mass[name, 1]),
    profile_chisq_high = bound(name, ratio_chi, 1, mass[name, 2]),
    wald_t_low = exp(log(est[[name]]) - t_q * se[[name]] / est[[name]]),
    wald_t_high = exp(log(est[[name]]) + t_q * se[[name]] / est[[name]]),
    wald_z_low = exp(log(est[[name]]) - z_q * se[[name]] / est[[name]]),
    wald_z_high = exp(log(est[[name]]) + z_q * se[[name]] / est[[name]]))
}
out <- do.call(rbind, rows)
write.csv(format(out, digits = 15), stdout(), row.names = FALSE, quote = FALSE)
