#include "check/report_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <utility>
#include <vector>

#include "io/format.hpp"

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

// The SVG element of a drawn plot (gnuplot's file starts with an XML prolog).
std::string svg_element(const std::string& drawn) {
  const auto start = drawn.find("<svg");
  if (start == std::string::npos) throw io::GnuplotError("gnuplot drew no SVG");
  return drawn.substr(start);
}

// Every plot of the page: an SVG drawn by `draw` from onset's own script, its texts through
// io::gnuplot_text and its data in files.
class Plotter {
 public:
  explicit Plotter(const PlotRenderer& draw) : draw_(draw) {}

  std::string run(std::string script, std::vector<std::pair<std::string, std::string>> data) {
    io::GnuplotJob job;
    job.terminal = "svg size 760,380 dynamic noenhanced font 'sans,11' background '#ffffff'";
    job.script = std::move(script);
    job.data_files = std::move(data);
    return svg_element(draw_(job));
  }

 private:
  const PlotRenderer& draw_;
};

std::string number_text(double value) {
  std::ostringstream out;
  out.precision(10);
  out << value;
  return out.str();
}

std::string trajectory_plot(Plotter* plotter, const EffectReport& effect, const CheckResult& c) {
  const Band& b = c.band;
  std::ostringstream data;
  data.precision(10);
  for (size_t i = 0; i < b.times_h.size(); ++i) {
    auto at = [&](const std::vector<double>& v) {
      return i < v.size() && std::isfinite(v[i]) ? v[i] : NAN;
    };
    data << b.times_h[i] << ' ' << at(b.p05) << ' ' << at(b.p50) << ' ' << at(b.p95) << ' '
         << at(b.best_case) << ' ' << at(b.median_draw) << '\n';
  }
  const std::string claimed = number_text(effect.claimed_time_h);
  const std::string threshold = number_text(b.threshold_best);
  std::ostringstream s;
  s << "set title "
    << io::gnuplot_text(effect.id + ": " + c.observable + " (" + bound_kind_name(c.kind) + ")")
    << "\nset xlabel 'time since start of the intervention (h)'\nset ylabel "
    << io::gnuplot_text(c.observable + " (" + b.unit + ")")
    << "\nset key outside right top vertical"
    << "\nset grid\nset xrange [0:" << number_text(b.times_h.empty() ? 1.0 : b.times_h.back())
    << "]\n"
    << "set arrow from " << claimed << ", graph 0 to " << claimed
    << ", graph 1 nohead dt 2 lc rgb '#aa0000'\n"
    << "set label 'claimed' at " << claimed << ", graph 0.95 offset 0.5,0 tc rgb '#aa0000'\n"
    << "plot 'traj.dat' using 1:2:4 with filledcurves fc rgb '#9ecae1' fs transparent solid 0.5 "
       "title '5-95 % of draws', \\\n"
    << "  '' using 1:3 with lines lw 2 lc rgb '#3182bd' title 'median of draws', \\\n"
    << "  '' using 1:5 with lines lw 2 lc rgb '#31a354' title 'best case', \\\n";
  if (!b.median_draw.empty()) {
    s << "  '' using 1:6 with lines lw 1 dt 3 lc rgb '#636363' title 'median-onset draw', \\\n";
  }
  s << "  " << threshold
    << " with lines lw 1.5 dt 4 lc rgb '#e6550d' title 'threshold (best case)', \\\n"
    << "  '+' using (" << claimed << "):(" << threshold
    << ") every ::0::0 with points pt 7 ps 1.5 lc rgb '#aa0000' title 'claimed point'\n";
  return plotter->run(s.str(), {{"traj.dat", data.str()}});
}

std::string onset_plot(Plotter* plotter, const EffectReport& effect, const CheckResult& c) {
  std::vector<double> times;
  for (const double t : c.onset_times_h) {
    if (std::isfinite(t)) times.push_back(std::max(t, 1e-3));
  }
  const std::string claimed = number_text(effect.claimed_time_h);
  std::ostringstream s;
  s << "set title "
    << io::gnuplot_text(effect.id + ": onset time over " + std::to_string(c.onset_times_h.size()) +
                        " draws (never within " + fmt(c.horizon_h) +
                        " h: " + fmt(100 * c.fraction_never) + " %)")
    << "\nset xlabel 'onset time (h, log scale)'\nset ylabel 'fraction of draws'\nset grid\n"
    << "set logscale x\nset key top left\n";
  if (times.empty()) {
    s << "set xrange [0.1:" << number_text(c.horizon_h) << "]\nset yrange [0:1]\n"
      << "set label 'no draw reaches the threshold within the horizon' at graph 0.2, graph 0.5\n"
      << "set arrow from " << claimed << ", graph 0 to " << claimed
      << ", graph 1 nohead lw 2 lc rgb '#aa0000'\nplot 1/0 notitle\n";
    return plotter->run(s.str(), {});
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
  std::ostringstream data;
  data.precision(10);
  const double total = static_cast<double>(c.onset_times_h.size());
  for (int k = 0; k < bins; ++k) {
    const double a = std::pow(10, lo + (hi - lo) * k / bins);
    const double z = std::pow(10, lo + (hi - lo) * (k + 1) / bins);
    data << std::sqrt(a * z) << ' ' << counts[static_cast<size_t>(k)] / total << ' ' << a << ' '
         << z << '\n';
  }
  const double x_lo = std::min(std::pow(10, lo), effect.claimed_time_h) / 1.5;
  const double x_hi = std::max(std::pow(10, hi), effect.claimed_time_h) * 1.5;
  s << "set xrange [" << number_text(x_lo) << ":" << number_text(x_hi) << "]\nset yrange [0:*]\n"
    << "set arrow from " << claimed << ", graph 0 to " << claimed
    << ", graph 1 nohead lw 2 lc rgb '#aa0000'\n"
    << "set label 'claimed' at " << claimed << ", graph 0.92 offset 0.5,0 tc rgb '#aa0000'\n";
  if (c.best_case_onset_h) {
    const std::string best = number_text(std::max(*c.best_case_onset_h, 1e-3));
    s << "set arrow from " << best << ", graph 0 to " << best
      << ", graph 1 nohead lw 2 dt 2 lc rgb '#31a354'\n"
      << "set label 'best case' at " << best << ", graph 0.84 offset 0.5,0 tc rgb '#31a354'\n";
  }
  // boxes with 4 columns reads x:y:x_low:x_high in gnuplot 5.4 (boxxyerror otherwise)
  s << "plot 'onset.dat' using 1:2:3:4 with boxes fs solid 0.6 lc rgb '#3182bd' title 'draws'\n";
  return plotter->run(s.str(), {{"onset.dat", data.str()}});
}

std::string elasticity_plot(Plotter* plotter, const EffectReport& effect, const CheckResult& c) {
  std::ostringstream data;
  data.precision(10);
  size_t shown = 0;
  for (const auto& e : c.elasticities) {
    if (shown >= 12) break;
    data << io::gnuplot_data_label(e.assumption) << ' ' << e.at_best_case << ' '
         << (e.at_median ? *e.at_median : 0.0) << '\n';
    ++shown;
  }
  std::ostringstream s;
  s << "set title " << io::gnuplot_text(effect.id + ": elasticity d ln t / d ln p") << "\n"
    << "set style data histograms\nset style histogram clustered gap 1\n"
    << "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset grid ytics\n"
    << "set xtics rotate by -30 left font ',9'\nset key top right\nset ylabel 'elasticity'\n"
    << "set bmargin 9\n";
  if (shown == 0) {
    s << "set label 'no assumption varies in this check' at graph 0.3, graph 0.5\nplot 1/0 "
         "notitle\n";
    return plotter->run(s.str(), {});
  }
  s << "plot 'elasticity.dat' using 2:xtic(1) lc rgb '#31a354' title 'at the best case', '' "
       "using 3 lc rgb '#3182bd' title 'at the median draw'\n";
  return plotter->run(s.str(), {{"elasticity.dat", data.str()}});
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

std::string render_html_report(const Claim& claim, const CheckReport& report,
                               const PlotRenderer& draw) {
  Plotter plotter(draw);
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
  o << "<table><tr><th>effect</th><th>claimed within</th><th>threshold tested</th><th>best-case "
       "onset</th><th>median "
       "onset [5 %, 95 %]</th><th>P(within claim)</th><th>verdict</th><th>rate-limiting "
       "step</th></tr>\n";
  for (const auto& e : report.effects) {
    const CheckResult* d = e.deciding();
    const std::string v = verdict_name(e.verdict);
    o << "<tr><td><a href=\"#" << html(e.id) << "\">" << html(e.id) << "</a></td><td>"
      << fmt(e.claimed_within_h) << " h</td><td>" << (d ? html(threshold_text(*d, 4)) : "-")
      << "</td>";
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
        << " the threshold (tested at the best case: " << html(threshold_text(c, 4)) << "). "
        << html(c.verdict_reason) << ". Median onset " << fmt_opt(c.onset_p50_h)
        << " h [5 %: " << fmt_opt(c.onset_p05_h) << ", 95 %: " << fmt_opt(c.onset_p95_h)
        << "]; P(within claim) = " << fmt(c.p_within_claim) << " (95 % CI " << fmt(c.p_ci_low)
        << "-" << fmt(c.p_ci_high) << "); never within " << fmt(c.horizon_h)
        << " h: " << fmt(100 * c.fraction_never) << " % of draws";
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
      o << "<div class=\"plot\">" << trajectory_plot(&plotter, e, c) << "</div>\n";
      o << "<div class=\"plot\">" << onset_plot(&plotter, e, c) << "</div>\n";
      o << "<div class=\"plot\">" << elasticity_plot(&plotter, e, c) << "</div>\n";
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
