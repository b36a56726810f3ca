#include "fits/fit_residuals.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "io/csv.hpp"
#include "io/format.hpp"

namespace onset::fits {

std::vector<ResidualRow> residual_table(const FitProblem& problem, const FitSummary& summary) {
  std::vector<ResidualRow> rows;
  const size_t n = problem.y.size();
  if (summary.predictions.size() != n) return rows;
  rows.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(problem.block[i]);
    const BlockSummary& block = summary.blocks[k];
    ResidualRow row;
    row.id = problem.group.size() == n ? problem.group[i] : std::string();
    row.time = problem.x.size() == n ? problem.x[i] : static_cast<double>(i);
    row.error_model = problem.blocks[k].name;
    row.observable = problem.observable.size() == n ? problem.observable[i] : row.error_model;
    row.animals = problem.animals.empty() ? 1.0 : problem.animals[i];
    row.dv = problem.y[i];
    row.pred = summary.predictions[i];
    row.res = row.dv - row.pred;
    const double weight = (problem.weight.empty() ? 1.0 : problem.weight[i]) * row.animals;
    double sd = block.sigma;
    switch (block.error) {
      case ErrorKind::kAdditive:
        break;
      case ErrorKind::kProportional:
        sd = block.sigma * std::abs(row.pred);
        break;
      case ErrorKind::kCombined:
        sd = std::sqrt(block.additive_sd * block.additive_sd +
                       block.sigma * block.sigma * row.pred * row.pred);
        break;
      case ErrorKind::kLogNormal:
        break;
    }
    row.wres = block.error == ErrorKind::kLogNormal
                   ? (std::log(row.dv) - std::log(row.pred)) * std::sqrt(weight) / block.sigma
                   : row.res * std::sqrt(weight) / sd;
    rows.push_back(row);
  }
  return rows;
}

void write_residuals_csv(std::ostream& out, const std::vector<ResidualRow>& rows) {
  // The shortest of 15 or 17 significant digits that reads back as the same double.
  auto number = [](double value) {
    std::string text = format_number(value, 15);
    if (std::strtod(text.c_str(), nullptr) != value) text = format_number(value, 17);
    return text;
  };
  out << "ID,TIME,OBSERVABLE,ERROR_MODEL,N,DV,PRED,RES,WRES\n";
  for (const auto& row : rows) {
    out << io::csv_field(row.id) << ',' << number(row.time) << ',' << io::csv_field(row.observable) << ','
        << io::csv_field(row.error_model) << ',' << number(row.animals) << ',' << number(row.dv) << ','
        << number(row.pred) << ',' << number(row.res) << ',' << number(row.wres) << '\n';
  }
}

}  // namespace onset::fits
