#include "check/report_html.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "pk/format.hpp"

namespace onset::check {

namespace {

namespace fs = std::filesystem;

std::string fmt(double v) { return onset::format_number(v, 4); }
std::string fmt_opt(const std::optional<double>& v, const std::string& none = "never") {
  return v ? fmt(*v) : none;
}

std::string html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A gnuplot single-quoted string ('' escapes a quote).
std::string gq(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'')
      out += "''";
    else
      out += c;
  }
  return out + "'";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Plotter {
 public:
  Plotter() {
    std::string pattern = (fs::temp_directory_path() / "onset-report-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a temp dir");
    dir_ = pattern;
  }
  ~Plotter() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Plotter(const Plotter&) = delete;
  Plotter& operator=(const Plotter&) = delete;

  fs::path file(const std::string& name) const { return dir_ / name; }

  // Runs a gnuplot script that writes `out.svg`; returns the SVG element.
  std::string run(const std::string& script) {
    const fs::path script_path = dir_ / ("plot" + std::to_string(count_++) + ".gp");
    const fs::path svg = dir_ / "out.svg";
    const fs::path err = dir_ / "err.txt";
    {
      std::ofstream out(script_path);
      out << "set terminal svg size 760,380 dynamic noenhanced font 'sans,11' background "
             "'#ffffff'\n"
          << "set output " << gq(svg.string()) << "\n"
          << script << "\nunset output\n";
    }
    const std::string command =
        gnuplot_command() + " " + script_path.string() + " 2> " + err.string();
    const int status = std::system(command.c_str());
    if (status != 0) {
      throw std::runtime_error("gnuplot failed (" + gnuplot_command() +
                               "; install Debian's gnuplot-nox): " + read_file(err));
    }
    std::string text = read_file(svg);
    const auto start = text.find("<svg");
    if (start == std::string::npos) throw std::runtime_error("gnuplot wrote no SVG");
    return text.substr(start);
  }

 private:
  fs::path dir_;
  int count_ = 0;
};

std::string trajectory_plot(Plotter* plotter, const EffectReport& effect, const CheckResult& c,
                            int index) {
  const Band& b = c.band;
  const fs::path data = plotter->file("traj" + std::to_string(index) + ".dat");
  {
    std::ofstream out(data);
    out.precision(10);
    for (size_t i = 0; i < b.times_h.size(); ++i) {
      auto at = [&](const std::vector<double>& v) {
        return i < v.size() && std::isfinite(v[i]) ? v[i] : NAN;
      };
      out << b.times_h[i] << ' ' << at(b.p05) << ' ' << at(b.p50) << ' ' << at(b.p95) << ' '
          << at(b.best_case) << ' ' << at(b.median_draw) << '\n';
    }
  }
  std::ostringstream s;
  s << "set title " << gq(effect.id + ": " + c.observable + " (" + bound_kind_name(c.kind) + ")")
    << "\nset xlabel 'time since start of the intervention (h)'\nset ylabel "
    << gq(c.observable + " (" + b.unit + ")") << "\nset key outside right top vertical"
    << "\nset grid\nset xrange [0:" << b.times_h.back() << "]\n"
    << "set arrow from " << effect.claimed_time_h << ", graph 0 to " << effect.claimed_time_h
    << ", graph 1 nohead dt 2 lc rgb '#aa0000'\n"
    << "set label 'claimed' at " << effect.claimed_time_h
    << ", graph 0.95 offset 0.5,0 tc rgb '#aa0000'\n"
    << "plot " << gq(data.string())
    << " using 1:2:4 with filledcurves fc rgb '#9ecae1' fs transparent solid 0.5 title '5-95 % of "
       "draws', \\\n"
    << "  '' using 1:3 with lines lw 2 lc rgb '#3182bd' title 'median of draws', \\\n"
    << "  '' using 1:5 with lines lw 2 lc rgb '#31a354' title 'best case', \\\n";
  if (!b.median_draw.empty()) {
    s << "  '' using 1:6 with lines lw 1 dt 3 lc rgb '#636363' title 'median-onset draw', \\\n";
  }
  s << "  " << b.threshold_best
    << " with lines lw 1.5 dt 4 lc rgb '#e6550d' title 'threshold (best case)', \\\n"
    << "  '+' using (" << effect.claimed_time_h << "):(" << b.threshold_best
    << ") every ::0::0 with points pt 7 ps 1.5 lc rgb '#aa0000' title 'claimed point'\n";
  return plotter->run(s.str());
}

std::string onset_plot(Plotter* plotter, const EffectReport& effect, const CheckResult& c,
                       int index) {
  std::vector<double> times;
  for (const double t : c.onset_times_h) {
    if (std::isfinite(t)) times.push_back(std::max(t, 1e-3));
  }
  std::ostringstream s;
  s << "set title "
    << gq(effect.id + ": onset time over " + std::to_string(c.onset_times_h.size()) +
          " draws (never within " + fmt(c.horizon_h) + " h: " + fmt(100 * c.fraction_never) + " %)")
    << "\nset xlabel 'onset time (h, log scale)'\nset ylabel 'fraction of draws'\nset grid\n"
    << "set logscale x\nset key top left\n";
  if (times.empty()) {
    s << "set xrange [0.1:" << c.horizon_h << "]\nset yrange [0:1]\n"
      << "set label 'no draw reaches the threshold within the horizon' at graph 0.2, graph 0.5\n"
      << "set arrow from " << effect.claimed_time_h << ", graph 0 to " << effect.claimed_time_h
      << ", graph 1 nohead lw 2 lc rgb '#aa0000'\nplot 1/0 notitle\n";
    return plotter->run(s.str());
  }
  const double lo = std::log10(*std::min_element(times.begin(), times.end()));
  double hi = std::log10(*std::max_element(times.begin(), times.end()));
  if (hi - lo < 1e-6) hi = lo + 0.1;
  const int bins = 40;
  std::vector<double> counts(bins, 0);
  for (const double t : times) {
    int k = static_cast<int>((std::log10(t) - lo) / (hi - lo) * bins);
    counts[static_cast<size_t>(std::clamp(k, 0, bins - 1))] += 1;
  }
  const fs::path data = plotter->file("onset" + std::to_string(index) + ".dat");
  {
    std::ofstream out(data);
    out.precision(10);
    const double total = static_cast<double>(c.onset_times_h.size());
    for (int k = 0; k < bins; ++k) {
      const double a = std::pow(10, lo + (hi - lo) * k / bins);
      const double z = std::pow(10, lo + (hi - lo) * (k + 1) / bins);
      out << std::sqrt(a * z) << ' ' << counts[static_cast<size_t>(k)] / total << ' ' << a << ' '
          << z << '\n';
    }
  }
  const double x_lo = std::min(std::pow(10, lo), effect.claimed_time_h) / 1.5;
  const double x_hi = std::max(std::pow(10, hi), effect.claimed_time_h) * 1.5;
  s << "set xrange [" << x_lo << ":" << x_hi << "]\nset yrange [0:*]\n"
    << "set arrow from " << effect.claimed_time_h << ", graph 0 to " << effect.claimed_time_h
    << ", graph 1 nohead lw 2 lc rgb '#aa0000'\n"
    << "set label 'claimed' at " << effect.claimed_time_h
    << ", graph 0.92 offset 0.5,0 tc rgb '#aa0000'\n";
  if (c.best_case_onset_h) {
    s << "set arrow from " << std::max(*c.best_case_onset_h, 1e-3) << ", graph 0 to "
      << std::max(*c.best_case_onset_h, 1e-3) << ", graph 1 nohead lw 2 dt 2 lc rgb '#31a354'\n"
      << "set label 'best case' at " << std::max(*c.best_case_onset_h, 1e-3)
      << ", graph 0.84 offset 0.5,0 tc rgb '#31a354'\n";
  }
  s << "plot " << gq(data.string())
    << " using 1:2:3:4 with boxes fs solid 0.6 lc rgb '#3182bd' title 'draws'\n";
  // boxes with 4 columns reads x:y:x_low:x_high in gnuplot 5.4 (boxxyerror otherwise)
  return plotter->run(s.str());
}

std::string elasticity_plot(Plotter* plotter, const EffectReport& effect, const CheckResult& c,
                            int index) {
  const fs::path data = plotter->file("el" + std::to_string(index) + ".dat");
  size_t shown = 0;
  {
    std::ofstream out(data);
    out.precision(10);
    for (const auto& e : c.elasticities) {
      if (shown >= 12) break;
      out << '"' << e.assumption << "\" " << e.at_best_case << ' '
          << (e.at_median ? *e.at_median : 0.0) << '\n';
      ++shown;
    }
  }
  std::ostringstream s;
  s << "set title " << gq(effect.id + ": elasticity d ln t / d ln p") << "\n"
    << "set style data histograms\nset style histogram clustered gap 1\n"
    << "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset grid ytics\n"
    << "set xtics rotate by -30 left font ',9'\nset key top right\nset ylabel 'elasticity'\n"
    << "set bmargin 9\n";
  if (shown == 0) {
    s << "set label 'no assumption varies in this check' at graph 0.3, graph 0.5\nplot 1/0 "
         "notitle\n";
  } else {
    s << "plot " << gq(data.string())
      << " using 2:xtic(1) lc rgb '#31a354' title 'at the best case', '' using 3 lc rgb "
         "'#3182bd' title 'at the median draw'\n";
  }
  return plotter->run(s.str());
}

const char* kStyle = R"(
body{font-family:sans-serif;max-width:1100px;margin:1.5em auto;color:#222;line-height:1.4}
h1{font-size:1.5em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f2f2f2}
.implausible{color:#a50f15;font-weight:bold} .unlikely{color:#d95f0e;font-weight:bold}
.plausible{color:#238b45;font-weight:bold} .not_assessable{color:#636363;font-weight:bold}
tr.deciding td{background:#fff3cd} .mark{color:#a50f15;font-weight:bold}
blockquote{border-left:4px solid #ccc;margin:.5em 0;padding:.3em 1em;background:#fafafa;white-space:pre-wrap}
.plot svg{max-width:100%;height:auto}
.small{font-size:.85em;color:#555}
)";

}  // namespace

std::string gnuplot_command() {
  const char* env = std::getenv("ONSET_GNUPLOT");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("gnuplot");
}

std::string render_html_report(const Claim& claim, const CheckReport& report) {
  if (std::system((gnuplot_command() + " --version > /dev/null 2>&1").c_str()) != 0) {
    throw std::runtime_error("gnuplot not found ('" + gnuplot_command() +
                             "'); install Debian's gnuplot-nox (scripts/setup does) or set "
                             "ONSET_GNUPLOT");
  }
  Plotter plotter;
  auto is_deciding = [&](const std::string& name) {
    return std::find(report.deciding_assumptions.begin(), report.deciding_assumptions.end(),
                     name) != report.deciding_assumptions.end();
  };
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>onset check: "
    << html(claim.id) << "</title>\n<style>" << kStyle << "</style></head><body>\n";
  o << "<h1>onset check: " << html(claim.title.empty() ? claim.id : claim.title) << "</h1>\n";
  o << "<p class=\"small\">claim file " << html(claim.file) << "; " << report.draws
    << " Monte Carlo draws per check (scrambled Sobol, seed " << report.seed << ")</p>\n";
  o << "<h2>The claim</h2>\n<blockquote>" << html(claim.statement) << "</blockquote>\n";
  if (!claim.source.empty()) o << "<p>Source: " << html(claim.source.text()) << "</p>\n";
  o << "<p>Subject: " << html(claim.subject.species);
  if (!claim.subject.sex.empty()) o << ", " << html(claim.subject.sex);
  if (claim.subject.age_years) o << ", " << fmt(*claim.subject.age_years) << " years";
  if (claim.subject.weight_kg) o << ", " << fmt(*claim.subject.weight_kg) << " kg";
  if (!claim.subject.condition.empty()) o << "; " << html(claim.subject.condition);
  o << ".<br>Intervention: " << html(claim.intervention.agent);
  if (claim.intervention.dose > 0) {
    o << ", " << fmt(claim.intervention.dose) << " " << html(claim.intervention.dose_unit);
  }
  if (!claim.intervention.route.empty()) o << ", " << html(claim.intervention.route);
  if (claim.intervention.duration_h > 0)
    o << " over " << fmt(claim.intervention.duration_h) << " h";
  o << ". Claimed windows are measured from the "
    << (claim.time_origin == "end_of_infusion" ? "end of the infusion" : "start")
    << " (t = " << fmt(claim.time_origin_h) << " h).</p>\n";
  o << "<h2>Verdicts</h2>\n<p>Rule: <b>implausible</b> when even the best case (every assumption "
       "anywhere in its plausible range) reaches the threshold later than the claimed time; "
       "<b>unlikely</b> when the best case reaches it but P(onset &le; claimed) under the priors "
       "is below "
    << fmt(report.unlikely_below)
    << "; <b>plausible</b> otherwise; <b>not_assessable</b> when no model covers the effect. An "
       "effect with several checks takes the most severe verdict.</p>\n";
  o << "<table><tr><th>effect</th><th>claimed within</th><th>best-case onset</th><th>median "
       "onset [5 %, 95 %]</th><th>P(within claim)</th><th>verdict</th><th>rate-limiting "
       "step</th></tr>\n";
  for (const auto& e : report.effects) {
    const CheckResult* d = e.deciding();
    const std::string v = verdict_name(e.verdict);
    o << "<tr><td><a href=\"#" << html(e.id) << "\">" << html(e.id) << "</a></td><td>"
      << fmt(e.claimed_within_h) << " h</td>";
    if (d) {
      o << "<td>" << fmt_opt(d->best_case_onset_h) << (d->best_case_onset_h ? " h" : "")
        << "</td><td>" << fmt_opt(d->onset_p50_h) << " [" << fmt_opt(d->onset_p05_h) << ", "
        << fmt_opt(d->onset_p95_h) << "]</td><td>" << fmt(d->p_within_claim) << "</td>";
    } else {
      o << "<td>-</td><td>-</td><td>-</td>";
    }
    o << "<td class=\"" << v << "\">" << v << "</td><td>"
      << html(d && !d->rate_limiting.empty() ? d->rate_limiting.front() : e.reason)
      << "</td></tr>\n";
  }
  o << "</table>\n";

  int plot_index = 0;
  for (const auto& e : report.effects) {
    const std::string v = verdict_name(e.verdict);
    o << "<h2 id=\"" << html(e.id) << "\">" << html(e.id) << ": <span class=\"" << v << "\">" << v
      << "</span></h2>\n";
    o << "<p><b>Claimed:</b> " << html(e.statement) << " (within " << fmt(e.claimed_within_h)
      << " h)</p>\n";
    if (!e.measurable.empty()) o << "<p><b>Tested as:</b> " << html(e.measurable) << "</p>\n";
    o << "<p><b>Why:</b> " << html(e.reason) << "</p>\n";
    for (size_t k = 0; k < e.checks.size(); ++k) {
      const CheckResult& c = e.checks[k];
      o << "<h3>" << html(bound_kind_name(c.kind)) << " bound"
        << (static_cast<int>(k) == e.deciding_check ? " (decides the verdict)" : "") << ": "
        << "<span class=\"" << verdict_name(c.verdict) << "\">" << verdict_name(c.verdict)
        << "</span></h3>\n<p>" << html(c.description) << "</p>\n";
      o << "<p>Model <code>" << html(fs::path(c.model).filename().string())
        << "</code>, observable <code>" << html(c.observable) << "</code> " << html(c.direction)
        << " the threshold. " << html(c.verdict_reason) << ". Median onset "
        << fmt_opt(c.onset_p50_h) << " h [5 %: " << fmt_opt(c.onset_p05_h)
        << ", 95 %: " << fmt_opt(c.onset_p95_h) << "]; P(within claim) = " << fmt(c.p_within_claim)
        << " (95 % CI " << fmt(c.p_ci_low) << "-" << fmt(c.p_ci_high) << "); never within "
        << fmt(c.horizon_h) << " h: " << fmt(100 * c.fraction_never) << " % of draws";
      if (c.fraction_inconsistent > 0) {
        o << "; excluded because their baseline contradicts the report: "
          << fmt(100 * c.fraction_inconsistent) << " %";
      }
      o << ".</p>\n";
      if (!c.bound_assumptions.empty()) {
        o << "<p>At a bound in the best case: ";
        for (size_t i = 0; i < c.bound_assumptions.size(); ++i) {
          const auto& b = c.bound_assumptions[i];
          o << (i ? "; " : "") << html(b.assumption) << " at its " << b.side << " end ("
            << fmt(b.value) << " " << html(b.unit) << ")";
        }
        o << ".</p>\n";
      }
      if (!c.rate_limiting.empty()) {
        o << "<p><b>Rate-limiting:</b></p><ul>";
        for (const auto& r : c.rate_limiting) o << "<li>" << html(r) << "</li>";
        o << "</ul>\n";
      }
      if (!c.tipping_points.empty()) {
        o << "<p><b>Tipping points</b> (others at their best case):</p><ul>";
        for (const auto& t : c.tipping_points) o << "<li>" << html(t.text) << "</li>";
        o << "</ul>\n";
      }
      o << "<div class=\"plot\">" << trajectory_plot(&plotter, e, c, plot_index) << "</div>\n";
      o << "<div class=\"plot\">" << onset_plot(&plotter, e, c, plot_index) << "</div>\n";
      o << "<div class=\"plot\">" << elasticity_plot(&plotter, e, c, plot_index) << "</div>\n";
      ++plot_index;
    }
  }

  o << "<h2 id=\"assumptions\">Assumptions and their sources</h2>\n<p>Every uncertain input of "
       "every check. <span class=\"mark\">&#9733; decides</span>: the assumption sits at a bound "
       "of its range in a deciding best case and moves the onset, or has a tipping point.</p>\n";
  o << "<table><tr><th></th><th>assumption</th><th>what</th><th>distribution</th><th>central</th>"
       "<th>range (best-case box)</th><th>unit</th><th>source</th></tr>\n";
  for (const auto& a : claim.assumptions) {
    const bool deciding = is_deciding(a.name);
    o << "<tr" << (deciding ? " class=\"deciding\"" : "") << "><td>"
      << (deciding ? "<span class=\"mark\" title=\"decides a verdict\">&#9733; decides</span>" : "")
      << "</td><td>" << html(a.name) << "</td><td>" << html(a.prior.description) << "</td><td>"
      << html(a.prior.distribution) << "</td><td>" << fmt(a.prior.central) << "</td><td>"
      << fmt(a.prior.low) << " - " << fmt(a.prior.high) << "</td><td>" << html(a.prior.unit)
      << "</td><td>" << html(a.source_text()) << "<br><span class=\"small\">" << html(a.origin)
      << "</span></td></tr>\n";
  }
  o << "</table>\n";
  o << "<p class=\"small\">Made by onset check; plots drawn by gnuplot.</p>\n</body></html>\n";
  return o.str();
}

}  // namespace onset::check
