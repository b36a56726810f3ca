#include "io/units.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

namespace onset::io {

namespace {

struct Symbol {
  std::string_view name;
  double scale;
  std::array<int, kNumDimensions> powers;
};

// Base units: kg, mol, m, s, count.
constexpr std::array<int, kNumDimensions> kMass{1, 0, 0, 0, 0};
constexpr std::array<int, kNumDimensions> kAmount{0, 1, 0, 0, 0};
constexpr std::array<int, kNumDimensions> kLength{0, 0, 1, 0, 0};
constexpr std::array<int, kNumDimensions> kVolume{0, 0, 3, 0, 0};
constexpr std::array<int, kNumDimensions> kTime{0, 0, 0, 1, 0};
constexpr std::array<int, kNumDimensions> kCount{0, 0, 0, 0, 1};
constexpr std::array<int, kNumDimensions> kNone{0, 0, 0, 0, 0};
// Catalytic activity (amount of substrate turned over per time).
constexpr std::array<int, kNumDimensions> kActivity{0, 1, 0, -1, 0};

constexpr Symbol kSymbols[] = {
    // mass
    {"kg", 1, kMass},
    {"g", 1e-3, kMass},
    {"mg", 1e-6, kMass},
    {"ug", 1e-9, kMass},
    {"mcg", 1e-9, kMass},
    {"ng", 1e-12, kMass},
    {"pg", 1e-15, kMass},
    {"fg", 1e-18, kMass},
    // amount of substance
    {"mol", 1, kAmount},
    {"mmol", 1e-3, kAmount},
    {"umol", 1e-6, kAmount},
    {"nmol", 1e-9, kAmount},
    {"pmol", 1e-12, kAmount},
    {"fmol", 1e-15, kAmount},
    // length and volume
    {"m", 1, kLength},
    {"cm", 1e-2, kLength},
    {"mm", 1e-3, kLength},
    {"um", 1e-6, kLength},
    {"nm", 1e-9, kLength},
    {"L", 1e-3, kVolume},
    {"l", 1e-3, kVolume},
    {"dL", 1e-4, kVolume},
    {"dl", 1e-4, kVolume},
    {"mL", 1e-6, kVolume},
    {"ml", 1e-6, kVolume},
    {"uL", 1e-9, kVolume},
    {"ul", 1e-9, kVolume},
    {"nL", 1e-12, kVolume},
    {"fL", 1e-18, kVolume},
    // time
    {"s", 1, kTime},
    {"sec", 1, kTime},
    {"second", 1, kTime},
    {"seconds", 1, kTime},
    {"min", 60, kTime},
    {"minute", 60, kTime},
    {"minutes", 60, kTime},
    {"h", 3600, kTime},
    {"hr", 3600, kTime},
    {"hour", 3600, kTime},
    {"hours", 3600, kTime},
    {"d", 86400, kTime},
    {"day", 86400, kTime},
    {"days", 86400, kTime},
    {"week", 604800, kTime},
    {"weeks", 604800, kTime},
    {"wk", 604800, kTime},
    // enzyme activity: 1 U = 1 IU = 1 umol substrate per minute (serum ALT, AST, ALP, GGT in U/L)
    {"U", 1e-6 / 60, kActivity},
    {"IU", 1e-6 / 60, kActivity},
    {"kat", 1, kActivity},
    {"ukat", 1e-6, kActivity},
    // counts
    {"particles", 1, kCount},
    {"particle", 1, kCount},
    {"copies", 1, kCount},
    {"copy", 1, kCount},
    {"cells", 1, kCount},
    {"cell", 1, kCount},
    {"vesicles", 1, kCount},
    {"vesicle", 1, kCount},
    {"EV", 1, kCount},
    {"EVs", 1, kCount},
    {"molecules", 1, kCount},
    {"molecule", 1, kCount},
    {"count", 1, kCount},
    {"counts", 1, kCount},
    {"#", 1, kCount},
    // dimensionless
    {"1", 1, kNone},
    {"-", 1, kNone},
    {"%", 0.01, kNone},
    {"%ID", 0.01, kNone},
    {"percent", 0.01, kNone},
    {"fraction", 1, kNone},
};

constexpr std::string_view kDimensionNames[kNumDimensions] = {"mass", "amount", "length", "time",
                                                              "count"};

class UnitParser {
 public:
  explicit UnitParser(std::string_view text) : text_(text) {}

  Unit parse() {
    skip_space();
    if (pos_ == text_.size()) fail("an empty unit");
    Unit unit = product();
    skip_space();
    if (pos_ != text_.size()) fail("'" + std::string(text_.substr(pos_, 1)) + "'");
    unit.text = std::string(text_);
    return unit;
  }

 private:
  [[noreturn]] void fail(const std::string& found) const {
    throw UnitError("cannot read unit '" + std::string(text_) + "' at character " +
                    std::to_string(pos_ + 1) + ": found " + found +
                    "; expected a unit such as mg, L, h, mg/L, L/h, 1/h, particles, %ID/g");
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  Unit product() {
    Unit unit = power();
    for (;;) {
      skip_space();
      if (pos_ < text_.size() && (text_[pos_] == '*' || text_[pos_] == '/')) {
        const char op = text_[pos_++];
        const Unit rhs = power();
        unit = op == '*' ? unit * rhs : unit / rhs;
      } else {
        return unit;
      }
    }
  }
  Unit power() {
    Unit unit = atom();
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '^') {
      ++pos_;
      skip_space();
      const size_t start = pos_;
      if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) ++pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (start == pos_) fail("nothing after '^'");
      const int exponent = std::atoi(std::string(text_.substr(start, pos_ - start)).c_str());
      Unit raised;
      raised.scale = std::pow(unit.scale, exponent);
      for (int d = 0; d < kNumDimensions; ++d) raised.powers[d] = unit.powers[d] * exponent;
      return raised;
    }
    return unit;
  }
  Unit atom() {
    skip_space();
    if (pos_ == text_.size()) fail("the end of the text");
    if (text_[pos_] == '(') {
      ++pos_;
      Unit inner = product();
      skip_space();
      if (pos_ == text_.size() || text_[pos_] != ')') fail("no closing ')'");
      ++pos_;
      return inner;
    }
    // A symbol: letters, digits, '%', '#', '-', or the micro sign (UTF-8 of U+00B5 or U+03BC).
    std::string symbol;
    while (pos_ < text_.size()) {
      const unsigned char ch = static_cast<unsigned char>(text_[pos_]);
      if (std::isalnum(ch) || ch == '%' || ch == '#' || ch == '_' ||
          (ch == '-' && symbol.empty())) {
        symbol += static_cast<char>(ch);
        ++pos_;
      } else if ((ch == 0xC2 || ch == 0xCE) && pos_ + 1 < text_.size() &&
                 (static_cast<unsigned char>(text_[pos_ + 1]) == 0xB5 ||
                  static_cast<unsigned char>(text_[pos_ + 1]) == 0xBC)) {
        symbol += 'u';
        pos_ += 2;
      } else {
        break;
      }
    }
    if (symbol.empty()) fail("'" + std::string(text_.substr(pos_, 1)) + "'");
    for (const Symbol& known : kSymbols) {
      if (known.name == symbol) {
        Unit unit;
        unit.scale = known.scale;
        unit.powers = known.powers;
        unit.text = symbol;
        return unit;
      }
    }
    pos_ -= symbol.size();
    fail("unknown symbol '" + symbol + "'");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string where_suffix(std::string_view where) {
  return where.empty() ? std::string() : " (" + std::string(where) + ")";
}

}  // namespace

bool Unit::dimensionless() const { return powers == kNone; }

Unit Unit::operator*(const Unit& other) const {
  Unit out;
  out.scale = scale * other.scale;
  for (int d = 0; d < kNumDimensions; ++d) out.powers[d] = powers[d] + other.powers[d];
  out.text = text + "*" + other.text;
  return out;
}

Unit Unit::operator/(const Unit& other) const {
  Unit out;
  out.scale = scale / other.scale;
  for (int d = 0; d < kNumDimensions; ++d) out.powers[d] = powers[d] - other.powers[d];
  const bool compound = other.text.find_first_of("*/") != std::string::npos;
  out.text = text + "/" + (compound ? "(" + other.text + ")" : other.text);
  return out;
}

std::string Unit::dimension_text() const {
  std::string up, down;
  for (int d = 0; d < kNumDimensions; ++d) {
    const int p = powers[d];
    if (p == 0) continue;
    std::string& side = p > 0 ? up : down;
    if (!side.empty()) side.push_back('*');
    side.append(kDimensionNames[d]);
    if (std::abs(p) != 1) {
      side.push_back('^');
      side.push_back(static_cast<char>('0' + std::abs(p) % 10));
    }
  }
  if (up.empty()) up.push_back('1');
  return down.empty() ? up : up + "/" + down;
}

Unit parse_unit(std::string_view text) { return UnitParser(text).parse(); }

bool is_unit(std::string_view text) {
  try {
    parse_unit(text);
    return true;
  } catch (const UnitError&) {
    return false;
  }
}

double conversion_factor(const Unit& from, const Unit& to, std::string_view from_where,
                         std::string_view to_where) {
  if (!from.compatible_with(to))
    throw UnitError("incompatible units: '" + from.text + "'" + where_suffix(from_where) + " is " +
                    from.dimension_text() + " but '" + to.text + "'" + where_suffix(to_where) +
                    " is " + to.dimension_text());
  return from.scale / to.scale;
}

double conversion_factor(std::string_view from, std::string_view to, std::string_view from_where,
                         std::string_view to_where) {
  return conversion_factor(parse_unit(from), parse_unit(to), from_where, to_where);
}

double conversion_factor_molar(const Unit& from, const Unit& to, double molar_mass_g_per_mol,
                               std::string_view from_where, std::string_view to_where) {
  if (from.compatible_with(to)) return from.scale / to.scale;
  // value_to = value_from * M^(-d), d = mass power moved into amount power (M in kg/mol).
  const int d = from.powers[0] - to.powers[0];
  auto shifted = from.powers;
  shifted[0] -= d;
  shifted[1] += d;
  if (shifted != to.powers || !(molar_mass_g_per_mol > 0))
    return conversion_factor(from, to, from_where, to_where);  // throws, naming both
  return from.scale / to.scale * std::pow(molar_mass_g_per_mol * 1e-3, -d);
}

double convert(double value, std::string_view from, std::string_view to,
               std::optional<double> molar_mass_g_per_mol) {
  const Unit a = parse_unit(from), b = parse_unit(to);
  return value * (molar_mass_g_per_mol ? conversion_factor_molar(a, b, *molar_mass_g_per_mol)
                                       : conversion_factor(a, b));
}

}  // namespace onset::io
