// The reference data sets of ../shared/data/nlme turned into the NONMEM-style records onset
// reads (the conversions each control stream implies), the starting values of the control
// streams, and NONMEM's .ext files: shared by the population tests and bench/.
#pragma once

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fits/population/population_data.hpp"
#include "fits/population/population_fit.hpp"
#include "fits/population/population_spec.hpp"
#include "tests/fits/data_table.hpp"

namespace onset::fits::population::reference {

inline std::string shared(const std::string& path) {
  return std::string(ONSET_SHARED_DIR) + "/data/nlme/" + path;
}

inline std::vector<std::vector<std::string>> read_rows(const std::string& path,
                                                       std::vector<std::string>* header) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::stringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) {
      if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"')
        cell = cell.substr(1, cell.size() - 2);
      cells.push_back(cell);
    }
    if (first) {
      *header = cells;
      first = false;
    } else if (!cells.empty()) {
      rows.push_back(cells);
    }
  }
  return rows;
}

// A problem from a model, a data file and a command-line style specification.
inline PopulationProblem make_problem(const std::string& model, const std::string& data_path,
                                      const PopulationSpec& spec) {
  PopulationProblem problem;
  problem.data = load_population_data(model, data_table(data_path), ModelDataOptions{});
  problem.model = build_population_model(spec, model, problem.data, &problem.data.notes);
  return problem;
}

// Writes `text` to `path`, returns the path.
inline std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

// Wang 2007 (Wang2007.csv: ID, Time, Y): y = 10 exp(-ke t) as one_compartment_iv with a bolus
// of 10 at t = 0, V = 1 and CL = ke.
inline std::string wang_records(const std::string& out) {
  std::vector<std::string> header;
  const auto rows = read_rows(shared("Wang2007.csv"), &header);
  std::ostringstream csv;
  csv << "ID,TIME,EVID,AMT,DV,MDV\n";
  std::string last;
  for (const auto& row : rows) {
    if (row[0] != last) csv << row[0] << ",0,1,10,.,1\n";
    last = row[0];
    csv << row[0] << "," << row[1] << ",0,0," << row[2] << ",0\n";
  }
  return write_text(out, csv.str());
}

// Bolus_1CPT / Bolus_2CPT as runODE001/032 read them: $INPUT renames the columns V, CL, SS, II
// (and V1, Q, V2) so that NONMEM does not take SS and II as steady-state items, and
// IGNORE=(SD.EQ.0) keeps the single-dose subjects.
inline std::string nonmem_focei_records(const std::string& name, const std::string& out) {
  std::vector<std::string> header;
  const auto rows = read_rows(shared("nonmem-focei/" + name), &header);
  size_t sd = header.size();
  std::ostringstream csv;
  for (size_t c = 0; c < header.size(); ++c) {
    std::string h = header[c];
    if (h == "SD") sd = c;
    if (h == "SS" || h == "II" || h == "V" || h == "CL" || h == "V1" || h == "Q" || h == "V2")
      h += "X";
    csv << (c ? "," : "") << h;
  }
  csv << "\n";
  for (const auto& row : rows) {
    if (sd < row.size() && std::stod(row[sd]) == 0) continue;
    for (size_t c = 0; c < row.size(); ++c) csv << (c ? "," : "") << row[c];
    csv << "\n";
  }
  return write_text(out, csv.str());
}

// 402.csv has no header (its first two lines are C comments; $INPUT C ID TIME DV AMT names the
// columns, IGNORE=C drops the comments).
inline std::string bauer402_records(const std::string& out) {
  std::ifstream in(shared("bauer402/402.csv"));
  std::ostringstream csv;
  csv << "C,ID,TIME,DV,AMT\n";
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != 'C') csv << line << "\n";
  return write_text(out, csv.str());
}

// 402.ctl: $THETA (0,9.8) V1, (0,3.7) CL, (0,8.6) V2, (0,31) Q; $OMEGA 0.02 x 4; $SIGMA 0.02;
// Y = F (1 + EPS(1)).
inline PopulationSpec bauer402_spec() {
  PopulationSpec spec;
  spec.etas = {"V1=0.02", "CL=0.02", "V2=0.02", "Q=0.02"};
  spec.start = {{"V1", 9.8}, {"CL", 3.7}, {"V2", 8.6}, {"Q", 31}, {"sigma_prop", std::sqrt(0.02)}};
  spec.error = ErrorKind::kProportional;
  return spec;
}

// theo_sd.csv uses nlmixr2's EVID 101 (a dose into CMT 1); onset reads NONMEM's EVID 1.
inline std::string theo_sd_records(const std::string& out) {
  std::vector<std::string> header;
  const auto rows = read_rows(shared("theo_sd.csv"), &header);
  std::ostringstream csv;
  for (size_t c = 0; c < header.size(); ++c) csv << (c ? "," : "") << header[c];
  csv << "\n";
  for (auto row : rows) {
    if (row[4] == "101") row[4] = "1";
    for (size_t c = 0; c < row.size(); ++c) csv << (c ? "," : "") << row[c];
    csv << "\n";
  }
  return write_text(out, csv.str());
}

// The last row (ITERATION -1000000000: final estimates; -1000000001: standard errors) of a
// NONMEM .ext file, by column name.
inline std::map<std::string, double> ext_row(const std::string& path, long iteration) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> names;
  std::map<std::string, double> values;
  bool comma_separated = false;  // FORMAT=,1PE13.6 (402.ext): "ITERATION    ,THETA1  ,..."
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    if (line.find("ITERATION") != std::string::npos)
      comma_separated = line.find(",THETA") != std::string::npos;
    if (comma_separated) {  // commas outside parentheses: OMEGA(2,1) is one name
      std::string cell;
      int depth = 0;
      for (char c : line + ",") {
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        if (c != ',' || depth > 0) {
          if (c != ' ') cell += c;
          continue;
        }
        if (!cell.empty()) cells.push_back(cell);
        cell.clear();
      }
    } else {
      std::stringstream fields(line);
      for (std::string cell; fields >> cell;) cells.push_back(cell);
    }
    if (cells.empty()) continue;
    if (cells[0] == "ITERATION") {
      names = cells;
      continue;
    }
    if (names.empty() || cells[0] != std::to_string(iteration)) continue;
    for (size_t c = 1; c < cells.size() && c < names.size(); ++c)
      values[names[c]] = std::stod(cells[c]);
  }
  return values;
}

// Theophylline: log-normal ETAs on KA, CL, V (diagonal), additive error (as R's nlme there).
inline PopulationSpec theo_spec() {
  PopulationSpec spec;
  spec.etas = {"KA=0.4", "CL=0.07", "V=0.02"};
  spec.start = {{"KA", 1.5}, {"CL", 2.8}, {"V", 32}};
  spec.error = ErrorKind::kAdditive;
  return spec;
}

struct NonmemRun {
  std::string name;                     // runODE001
  std::string data;                     // Bolus_1CPT.csv
  std::string model;                    // onset library model
  std::vector<std::string> parameters;  // model parameter of each log-THETA, in THETA order
};

inline const NonmemRun kRunOde001{"runODE001", "Bolus_1CPT.csv", "one_compartment_iv", {"CL", "V"}};
inline const NonmemRun kRunOde032{
    "runODE032", "Bolus_2CPT.csv", "two_compartment_iv", {"CL", "V1", "Q", "V2"}};

// The control stream: PAR = EXP(THETA(k) + ETA(k)), diagonal OMEGA, W = IPRED * THETA(last)
// with SIGMA 1 FIX (so THETA(last) is the proportional SD). `at`: start values by .ext column
// (THETA1.., OMEGA(k,k)); `fixed`: hold them all (the objective at those values).
inline PopulationSpec run_spec(const NonmemRun& run, const std::map<std::string, double>& at,
                               bool fixed) {
  PopulationSpec spec;
  auto& values = fixed ? spec.fixed : spec.start;
  for (size_t k = 0; k < run.parameters.size(); ++k) {
    const std::string& p = run.parameters[k];
    const std::string theta = "l" + p, eta = "eta_" + p, index = std::to_string(k + 1);
    spec.parameters.push_back(p + " = exp(" + theta + " + " + eta + ")");
    spec.thetas.push_back(theta + "=" + std::to_string(at.at("THETA" + index)));
    spec.etas.push_back(eta + "=" + std::to_string(at.at("OMEGA(" + index + "," + index + ")")));
    values[theta] = at.at("THETA" + index);
    values[eta] = at.at("OMEGA(" + index + "," + index + ")");
  }
  values["sigma_prop"] = at.at("THETA" + std::to_string(run.parameters.size() + 1));
  spec.error = ErrorKind::kProportional;
  return spec;
}

inline std::map<std::string, double> control_stream_start(const NonmemRun& run) {
  // $THETA 1.6 (log CL), 4.5 (log V), [1.6 (log Q), 4 (log V2)], 0.3 (RSV); $OMEGA 0.15 each.
  std::map<std::string, double> start = {{"THETA1", 1.6}, {"THETA2", 4.5}};
  if (run.parameters.size() == 4) {
    start["THETA3"] = 1.6;
    start["THETA4"] = 4;
  }
  start["THETA" + std::to_string(run.parameters.size() + 1)] = 0.3;
  for (size_t k = 1; k <= run.parameters.size(); ++k)
    start["OMEGA(" + std::to_string(k) + "," + std::to_string(k) + ")"] = 0.15;
  return start;
}

}  // namespace onset::fits::population::reference
