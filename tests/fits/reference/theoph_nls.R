# Reference for tests/fits/theoph_fit_test.cpp: theophylline (shared/data/theoph.csv), one
# compartment with first-order absorption, naive pooled, additive error, fitted by R's nls
# (Gauss-Newton, default algorithm) on the natural scale. Doses are mg/kg: the dose given is
# Dose x Wt (mg), so V is in L and CL in L/h (per subject, not per kg).
# Run: Rscript theoph_nls.R ../../../../shared/data/theoph.csv > theoph_nls.csv
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$amt <- d$Dose * d$Wt
fit <- nls(conc ~ amt * KA / (V * (KA - CL / V)) * (exp(-CL / V * Time) - exp(-KA * Time)),
           data = d, start = list(KA = 1.5, CL = 3, V = 32),
           control = nls.control(maxiter = 200, tol = 1e-8, minFactor = 1e-10))
s <- summary(fit)
co <- s$coefficients
r <- cov2cor(vcov(fit))
out <- data.frame(name = c(rownames(co), "sigma", "rss", "minus2loglik", "aic", "bic",
                           "cor_KA_CL", "cor_KA_V", "cor_CL_V"),
                  estimate = c(co[, 1], s$sigma, deviance(fit), -2 * as.numeric(logLik(fit)),
                               AIC(fit), BIC(fit), r[1, 2], r[1, 3], r[2, 3]),
                  se = c(co[, 2], rep(NA, 8)))
write.csv(out, stdout(), row.names = FALSE, quote = FALSE)
