// `onset fit` reads its data file once: io's CSV reader reads it into a table, and the records
// (with their extra columns: observable, BLQ, n, SD) are built from that table, for NONMEM data
// sets and for tidy tracer data alike; fits itself opens no file.
#include "fits/fit_data.hpp"
#include "fits/input_error.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "io/input_file.hpp"
#include "models/tracer_labels.hpp"
#include "tests/fits/data_table.hpp"

namespace onset::fits {
namespace {

const std::string kChow =
    std::string(ONSET_SOURCE_DIR) + "/data/examples/chow2009_111in_liposome_0.9peg.csv";
const std::string kTheoph = std::string(ONSET_SOURCE_DIR) + "/data/examples/theoph_nonmem.csv";

// Counts the opens of `path` through io's input layer while it lives.
class OpenCounter {
 public:
  explicit OpenCounter(std::string path) : path_(std::move(path)) {
    previous_ = io::set_input_observer([this](const std::string& opened) {
      if (opened == path_) ++count_;
    });
  }
  ~OpenCounter() { io::set_input_observer(previous_); }
  int count() const { return count_; }

 private:
  std::string path_;
  int count_ = 0;
  io::InputObserver previous_;
};

ModelDataOptions chow_options() {
  ModelDataOptions options;
  options.error = ErrorKind::kProportional;
  options.observe = ModelDataOptions::Observe::kLabel;
  options.label =
      *models::read_label_table(std::string(ONSET_SOURCE_DIR) + "/data/tracers/labels.yaml")
           .find("111In");
  options.tidy_dose = 1e10;
  options.error_groups["tissues"] = {"liver", "spleen", "kidney", "lung"};
  return options;
}

TEST(FitData, TidyTracerDataAreOpenedOnceAndReadStraightIntoRecords) {
  const ModelDataOptions options = chow_options();
  OpenCounter opens(kChow);
  const LoadedProblem loaded = load_model_problem("ev_pbpk_mouse", data_table(kChow), options);
  EXPECT_EQ(opens.count(), 1);
  // 25 means of the file (5 organs x 5 times), one dose record for the one subject.
  ASSERT_TRUE(loaded.dosing_data);
  const pk::DosingData& data = *loaded.dosing_data;
  EXPECT_EQ(loaded.problem.y.size(), 25u);
  ASSERT_EQ(data.records.size(), 26u);
  EXPECT_TRUE(data.records[0].is_dose());
  EXPECT_EQ(data.records[0].amount, 1e10);
  EXPECT_EQ(data.covariate_names, (std::vector<std::string>{"OBS", "BLQ", "N", "SD"}));
  // The first row of the file (line 2: plasma at 1 h, 36.7458 %ID) is the first observation:
  // its line, its value, and the label observable its organ and unit map to.
  const pk::DosingRecord& first = data.records[1];
  EXPECT_EQ(first.line, 2);
  EXPECT_EQ(first.time_h, 1.0);
  EXPECT_EQ(first.dv, 36.7458);
  EXPECT_EQ(data.text(1, 0), "plasma_label_pct");
  EXPECT_EQ(data.cell_column(1, 0), 3);  // the organ cell: "1,plasma,..." column 3
  EXPECT_EQ(data.text(1, 1), "0");
  EXPECT_EQ(data.text(1, 2), ".");
}

TEST(FitData, NonmemDataAreOpenedOnce) {
  ModelDataOptions options;
  options.start = {{"KA", 1.5}, {"CL", 3}, {"V", 30}};
  OpenCounter opens(kTheoph);
  const LoadedProblem loaded =
      load_model_problem("one_compartment_oral", data_table(kTheoph), options);
  EXPECT_EQ(opens.count(), 1);
  EXPECT_EQ(loaded.problem.y.size(), 132u);  // R's Theoph: 12 subjects x 11 samples
}

TEST(FitData, MisnamedOrganIsReportedAtItsCellInTheFile) {
  // Tidy data are not rewritten as text and parsed back: a bad organ is reported at its own
  // cell of the file (line 3, column 3), not at a place in a converted text.
  const std::string path = std::string(ONSET_BINARY_DIR) + "/fit_data_bad_organ.csv";
  {
    std::ofstream out(path);
    out << "time,organ,value,unit\n1,plasma,30,%ID\n1,livr,20,%ID\n";
  }
  try {
    load_model_problem("ev_pbpk_mouse", data_table(path), chow_options());
    ADD_FAILURE() << "no error";
  } catch (const InputError& error) {
    EXPECT_EQ(error.line(), 3);
    EXPECT_EQ(error.column(), 3);
    EXPECT_NE(std::string(error.what()).find("'livr_label_pct' is not an observable"),
              std::string::npos)
        << error.what();
  }
  std::filesystem::remove(path);
}

// fits takes tables, never paths: none of its sources reads a file (the one exception is the
// `population:` section of a model file, read by fits/population/population_spec.cpp after the
// model loader has read and checked that file).
TEST(FitData, FitsSourcesOpenNoDataFile) {
  const std::regex opens(
      R"(CsvTable::read_file|read_dosing_file|read_dosing_table|read_text_file|ifstream|fopen|::open\()");
  int files = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(ONSET_SOURCE_DIR) + "/fits")) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !(name.ends_with(".cpp") || name.ends_with(".hpp"))) continue;
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      const auto first = line.find_first_not_of(" \t");
      if (first != std::string::npos && line.compare(first, 2, "//") == 0) continue;  // comment
      if (!std::regex_search(line, opens)) continue;
      const bool population_section =
          name == "population_spec.cpp" && line.find("read_text_file(model") != std::string::npos;
      EXPECT_TRUE(population_section) << entry.path().string() << ":" << number << ": " << line;
    }
  }
  EXPECT_GT(files, 20);  // the folder was found and read
}

}  // namespace
}  // namespace onset::fits
