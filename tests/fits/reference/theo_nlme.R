# Theophylline (../shared/data/nlme/theo_sd.csv, converted to EVID 1 doses) fitted by R's nlme
# (Lindstrom-Bates, maximum likelihood): one compartment, first-order absorption, log-normal
# random effects on KA, CL and V (diagonal), additive error. Run by
# tests/fits/population_nlme_test.cpp beside onset's FOCE-I fit of the same model.
#   Rscript theo_nlme.R DATA.csv OUT.csv
# OUT.csv: name,value rows: the fixed effects lKa lCl lV (logs of the typical values), the
# random-effect SDs sd_lKa sd_lCl sd_lV, the residual SD sigma, minus2LL (with the 2 pi
# constant), and elapsed_s (the nlme() call alone).
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(nlme))
d <- read.csv(args[1])
obs <- d[d$EVID == 0, ]
dose <- d[d$EVID != 0, c("ID", "AMT")]
obs$dose <- dose$AMT[match(obs$ID, dose$ID)]
obs <- groupedData(DV ~ TIME | ID, data = obs)
f <- function(dose, t, lKa, lCl, lV) {
  ka <- exp(lKa); k <- exp(lCl - lV); v <- exp(lV)
  dose * ka / (v * (ka - k)) * (exp(-k * t) - exp(-ka * t))
}
t0 <- proc.time()
fit <- nlme(DV ~ f(dose, TIME, lKa, lCl, lV), data = obs,
            fixed = lKa + lCl + lV ~ 1, random = pdDiag(lKa + lCl + lV ~ 1),
            start = c(lKa = 0.45, lCl = 1, lV = 3.45), method = "ML")
elapsed <- (proc.time() - t0)[["elapsed"]]
sds <- as.numeric(VarCorr(fit)[, "StdDev"])
out <- data.frame(
  name = c("lKa", "lCl", "lV", "sd_lKa", "sd_lCl", "sd_lV", "sigma", "minus2LL", "elapsed_s"),
  value = c(fixef(fit)[["lKa"]], fixef(fit)[["lCl"]], fixef(fit)[["lV"]], sds[1], sds[2], sds[3],
            fit$sigma, -2 * as.numeric(logLik(fit)), elapsed))
write.csv(out, args[2], row.names = FALSE, quote = FALSE)
