#!/usr/bin/env python3
"""Writes models/library/ev_pbpk_<species>.yaml and ev_cargo_cascade_<species>.yaml.

The EV models have one structure and species-specific numbers: organ masses, plasma volume
and macrophage counts from data/species/physiology.yaml, every other parameter at the central
value of its prior in data/priors/ev_pbpk.yaml and ev_cargo_cascade.yaml (for the species, else
species "any"; where neither exists, a stated transfer from another species). Model-file
parameters carry the prior's name, so `onset models show` and `onset check` find the prior
(with its citation) by name. The generated files are committed (and embedded in the binary);
tests/models/ev_models_test.cpp fails when they drift from the data, so re-run this after
editing the data:

    python3 models/generate_ev_models.py
"""
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECIES = ["mouse", "rat", "monkey", "human"]
CASCADE_SPECIES = ["mouse", "human"]
# Where a prior exists for neither the species nor "any": the species it is transferred from.
TRANSFER = {"rat": ["mouse", "human"], "monkey": ["human", "mouse", "rat"],
            "human": ["mouse", "rat"], "mouse": ["rat", "human"]}
MIRNAS = ["mir16", "mir126", "mir223", "mir21", "let7", "mir199a"]
MIRNA_LABEL = {"mir16": "miR-16", "mir126": "miR-126", "mir223": "miR-223", "mir21": "miR-21",
               "let7": "let-7", "mir199a": "miR-199a"}


def load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return yaml.safe_load(f)


def num(x):
    return f"{float(x):.6g}"


# Natural bounds (a fit uses them, models/README.md): shares and fractions lie in [0, 1] (a
# fitted fraction_to_liver of 2.23 has no meaning); every other EV parameter is a magnitude
# (rates, counts, count ratios such as particles/cell, which are dimensionless and so not
# positive by their unit, Hill coefficients): lower bound 0.
FRACTIONS = {"macrophages_remaining", "max_target_repression", "hgf_max_labelling_index"}


def natural_bounds(name):
    if name.startswith("fraction_") or name.endswith("_fraction") or name in FRACTIONS:
        return "bounds: [0, 1], "
    return "lower: 0, "


class Priors:
    def __init__(self, *families):
        self.entries = []
        for family in families:
            self.entries += load(f"data/priors/{family}.yaml")["parameters"]

    def get(self, name, species):
        for wanted in (species, "any"):
            for e in self.entries:
                if e["name"] == name and e["species"] == wanted:
                    return e, ""
        for source in TRANSFER[species]:
            for e in self.entries:
                if e["name"] == name and e["species"] == source:
                    return e, f"; {source} value transferred (no {species} prior)"
        raise KeyError(f"no prior for {name} ({species})")

    def param(self, name, species, unit_override=None):
        e, note = self.get(name, species)
        unit = unit_override or e["unit"]
        desc = e.get("description", name.replace("_", " "))
        desc = desc.replace('"', "'")
        return (f'  {name}: {{value: {num(e["central"])}, unit: "{unit}", {natural_bounds(name)}'
                f'description: "{desc} (prior {e["species"]} [{num(e["low"])}, '
                f'{num(e["high"])}]{note})"}}')


def physiology(species):
    table = load("data/species/physiology.yaml")["species"][species]
    return table


PBPK_EQUATIONS = """\
Uptake from plasma P (particles) is a share of the plasma elimination rate k (1/h):
  k_KC = k f_liv f_KC m_rem (1 - A_KC/Cap_KC)+     Kupffer cells, capacity-limited
  k_LSEC = k f_liv f_LSEC,  k_hep = k f_liv (1 - f_KC - f_LSEC)+
  k_SM = k f_spl m_rem (1 - A_SM/Cap_SM)+           splenic red-pulp macrophages
  k_lung = k f_lung,  k_kid = k f_kid,  k_rest = k (1 - f_liv - f_spl - f_lung - f_kid)+
  dP/dt = R(t) - (k_KC + k_LSEC + k_hep + k_SM + k_lung + k_kid + k_rest) P
          + k_rel (A_KC + A_SM) + k_ret A_rest
  dA_KC/dt = k_KC P - (k_rel + k_dphag) A_KC        dA_SM/dt = k_SM P - (k_rel + k_dphag) A_SM
  dA_X/dt = k_X P - k_dtis A_X   (X = LSEC, hep, lung, kidney)
  dA_rest/dt = k_rest P - (k_ret + k_dtis) A_rest
  degraded_* collect k_dphag A_KC, k_d* A_LSEC+hep, k_dphag A_SM, k_dtis (lung+kidney+rest)
  Cap_KC = cap_KC N_KC, N_KC = (KC per g) x liver mass; Cap_SM = cap_SM N_SM
Dose in particles into `plasma` (bolus or infusion); ug protein x particles_per_ug_protein.
Mass balance: the sum of all states equals the dose (observable total_particles).
"""


def pbpk_parameters(priors, species, phys):
    organs = phys["organs"]
    lines = [
        f'  plasma_volume: {{value: {num(phys["plasma_volume"]["value"])}, unit: mL, '
        f'description: "plasma volume (data/species/physiology.yaml, {species})"}}',
        f'  liver_mass: {{value: {num(organs["liver"]["mass"]["value"])}, unit: g, '
        f'description: "liver mass (physiology.yaml)"}}',
        f'  spleen_mass: {{value: {num(organs["spleen"]["mass"]["value"])}, unit: g, '
        f'description: "spleen mass (physiology.yaml)"}}',
        f'  lung_mass: {{value: {num(organs["lung"]["mass"]["value"])}, unit: g, '
        f'description: "lung mass (physiology.yaml)"}}',
        f'  kidney_mass: {{value: {num(organs["kidney"]["mass"]["value"])}, unit: g, '
        f'description: "kidney mass (physiology.yaml)"}}',
        f'  splenic_macrophages: {{value: {num(phys["splenic_macrophages"]["value"])}, '
        f'unit: cells, description: "red-pulp macrophages (physiology.yaml; an assumption there)"}}',
    ]
    for name in ["dose_particles", "plasma_elimination_rate", "fraction_to_liver",
                 "fraction_to_spleen", "fraction_to_lung", "fraction_to_kidney",
                 "fraction_hepatic_to_kupffer", "fraction_hepatic_to_lsec",
                 "kupffer_cells_per_g_liver", "kupffer_capacity_per_cell",
                 "splenic_macrophage_capacity_per_cell", "phagocyte_release_rate",
                 "phagocyte_degradation_rate", "tissue_degradation_rate", "rest_return_rate",
                 "macrophages_remaining", "particles_per_ug_protein"]:
        lines.append(priors.param(name, species))
    return lines


PBPK_DERIVED = """\
  kupffer_cells: {expression: "kupffer_cells_per_g_liver * liver_mass", unit: cells}
  # Joint limit (mass balance): the Kupffer, LSEC and hepatocyte shares of the liver's uptake sum to 1;
  # when the Kupffer and LSEC shares given add to more than 1 they are scaled down to sum to 1.
  liver_cell_shares: {expression: "max(1, fraction_hepatic_to_kupffer + fraction_hepatic_to_lsec)", unit: "1"}
  k_kupffer: {expression: "plasma_elimination_rate * fraction_to_liver * fraction_hepatic_to_kupffer / liver_cell_shares * macrophages_remaining", unit: 1/h}
  k_lsec: {expression: "plasma_elimination_rate * fraction_to_liver * fraction_hepatic_to_lsec / liver_cell_shares", unit: 1/h}
  k_hepatocyte: {expression: "plasma_elimination_rate * fraction_to_liver * (1 - (fraction_hepatic_to_kupffer + fraction_hepatic_to_lsec) / liver_cell_shares)", unit: 1/h}
  k_spleen: {expression: "plasma_elimination_rate * fraction_to_spleen * macrophages_remaining", unit: 1/h}
  k_lung: {expression: "plasma_elimination_rate * fraction_to_lung", unit: 1/h}
  k_kidney: {expression: "plasma_elimination_rate * fraction_to_kidney", unit: 1/h}
  k_rest: {expression: "plasma_elimination_rate * max(0, 1 - fraction_to_liver - fraction_to_spleen - fraction_to_lung - fraction_to_kidney)", unit: 1/h}
  kupffer_capacity: {expression: "kupffer_capacity_per_cell * kupffer_cells", unit: particles}
  spleen_capacity: {expression: "splenic_macrophage_capacity_per_cell * splenic_macrophages", unit: particles}
"""

PBPK_COMPARTMENTS = """\
  plasma: {unit: particles, volume: plasma_volume, description: "EVs circulating in plasma"}
  kupffer: {unit: particles, description: "intact EVs in Kupffer cells (endosomes)"}
  lsec: {unit: particles, description: "intact EVs in liver sinusoidal endothelial cells"}
  hepatocytes: {unit: particles, description: "intact EVs in hepatocytes and other liver cells"}
  spleen: {unit: particles, mass: spleen_mass, description: "intact EVs in splenic red-pulp macrophages"}
  lung: {unit: particles, mass: lung_mass, description: "intact EVs retained in the lung"}
  kidney: {unit: particles, mass: kidney_mass, description: "intact EVs in the kidney"}
  rest: {unit: particles, description: "intact EVs in the rest of the body (exchanging with plasma)"}
  degraded_kupffer: {unit: particles, description: "EVs degraded in Kupffer cells"}
  degraded_liver_other: {unit: particles, description: "EVs degraded in LSEC and hepatocytes"}
  degraded_spleen: {unit: particles, description: "EVs degraded in splenic macrophages"}
  degraded_other: {unit: particles, description: "EVs degraded in lung, kidney and rest of body"}
"""


def pbpk_processes(kupffer_loss_rate, kupffer_loss_to="degraded_kupffer"):
    return f"""\
  - {{name: kupffer_uptake, type: capacity_limited, from: plasma, to: kupffer, k: k_kupffer, capacity: kupffer_capacity}}
  - {{name: lsec_uptake, type: first_order, from: plasma, to: lsec, k: k_lsec}}
  - {{name: hepatocyte_uptake, type: first_order, from: plasma, to: hepatocytes, k: k_hepatocyte}}
  - {{name: spleen_uptake, type: capacity_limited, from: plasma, to: spleen, k: k_spleen, capacity: spleen_capacity}}
  - {{name: lung_uptake, type: first_order, from: plasma, to: lung, k: k_lung}}
  - {{name: kidney_uptake, type: first_order, from: plasma, to: kidney, k: k_kidney}}
  - {{name: rest_uptake, type: first_order, from: plasma, to: rest, k: k_rest}}
  - {{name: rest_return, type: first_order, from: rest, to: plasma, k: rest_return_rate}}
  - {{name: kupffer_release, type: first_order, from: kupffer, to: plasma, k: phagocyte_release_rate}}
  - {{name: spleen_release, type: first_order, from: spleen, to: plasma, k: phagocyte_release_rate}}
  - {{name: kupffer_degradation, type: first_order, from: kupffer, to: {kupffer_loss_to}, k: {kupffer_loss_rate}}}
  - {{name: spleen_degradation, type: first_order, from: spleen, to: degraded_spleen, k: phagocyte_degradation_rate}}
  - {{name: lsec_degradation, type: first_order, from: lsec, to: degraded_liver_other, k: tissue_degradation_rate}}
  - {{name: hepatocyte_degradation, type: first_order, from: hepatocytes, to: degraded_liver_other, k: tissue_degradation_rate}}
  - {{name: lung_degradation, type: first_order, from: lung, to: degraded_other, k: tissue_degradation_rate}}
  - {{name: kidney_degradation, type: first_order, from: kidney, to: degraded_other, k: tissue_degradation_rate}}
  - {{name: rest_degradation, type: first_order, from: rest, to: degraded_other, k: tissue_degradation_rate}}
"""


def pbpk_observables(extra_sink=""):
    all_states = ("plasma, kupffer, lsec, hepatocytes, spleen, lung, kidney, rest, degraded_kupffer, "
                  "degraded_liver_other, degraded_spleen, degraded_other" + extra_sink)
    internalised = "kupffer, degraded_kupffer" + (", escaped" if extra_sink else "")
    return f"""\
  plasma_particles_per_mL: {{concentration: plasma, unit: particles/mL, description: "EVs per mL of plasma"}}
  plasma_pct: {{percent_dose: plasma, dose: dose_particles, description: "%ID in plasma"}}
  liver_pct: {{percent_dose: [kupffer, lsec, hepatocytes], dose: dose_particles, description: "%ID of intact EVs in liver"}}
  liver_label_pct: {{percent_dose: [kupffer, lsec, hepatocytes, degraded_kupffer, degraded_liver_other], dose: dose_particles, description: "%ID in liver read by a residualising label (intact + degraded)"}}
  spleen_pct: {{percent_dose: spleen, dose: dose_particles, description: "%ID of intact EVs in spleen"}}
  spleen_label_pct: {{percent_dose: [spleen, degraded_spleen], dose: dose_particles, description: "%ID in spleen, residualising label"}}
  lung_pct: {{percent_dose: lung, dose: dose_particles, description: "%ID of intact EVs in lung"}}
  kidney_pct: {{percent_dose: kidney, dose: dose_particles, description: "%ID of intact EVs in kidney"}}
  rest_pct: {{percent_dose: rest, dose: dose_particles, description: "%ID of intact EVs in the rest of the body"}}
  liver_pct_per_g: {{expression: "100 * (kupffer + lsec + hepatocytes) / dose_particles / liver_mass", unit: "%ID/g", description: "%ID/g liver (intact EVs)"}}
  spleen_pct_per_g: {{percent_dose_per_gram: spleen, dose: dose_particles, description: "%ID/g spleen"}}
  lung_pct_per_g: {{percent_dose_per_gram: lung, dose: dose_particles, description: "%ID/g lung"}}
  kidney_pct_per_g: {{percent_dose_per_gram: kidney, dose: dose_particles, description: "%ID/g kidney"}}
  vesicles_per_kupffer_cell: {{amount: kupffer, per: kupffer_cells, unit: particles/cell, description: "intact EVs now in one Kupffer cell"}}
  vesicles_internalised_per_kupffer_cell: {{amount: [{internalised}], per: kupffer_cells, unit: particles/cell, description: "EVs taken up by one Kupffer cell so far (net of release)"}}
  vesicles_per_splenic_macrophage: {{amount: spleen, per: splenic_macrophages, unit: particles/cell, description: "intact EVs now in one splenic macrophage"}}
  kupffer_capacity_used: {{expression: "kupffer / kupffer_capacity", unit: "1", description: "fraction of Kupffer-cell capacity filled (uptake slows as it nears 1)"}}
  fraction_degraded: {{expression: "(degraded_kupffer + degraded_liver_other + degraded_spleen + degraded_other) / dose_particles", unit: "1", description: "fraction of the dose degraded"}}
  plasma_protein_ug_per_mL: {{expression: "plasma / plasma_volume / particles_per_ug_protein", unit: ug/mL, description: "EV protein in plasma"}}
  total_particles: {{sum: [{all_states}], description: "every particle in the model (mass balance; equals the dose)"}}
"""


def write(path, text):
    full = os.path.join(ROOT, path)
    old = open(full, encoding="utf-8").read() if os.path.exists(full) else None
    if old != text:
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote", path)


HEADER = """\
# GENERATED by models/generate_ev_models.py from data/species/physiology.yaml and
# data/priors/{families}.yaml ({species}). Do not edit: edit the data and re-run the script
# (tests/models/ev_models_test.cpp checks that this file matches the data).
#
"""


def ev_pbpk(species, priors):
    phys = physiology(species)
    params = "\n".join(pbpk_parameters(priors, species, phys))
    eq = "".join("#   " + line + "\n" for line in PBPK_EQUATIONS.splitlines())
    eq_block = "".join("  " + line + "\n" for line in PBPK_EQUATIONS.splitlines())
    return (HEADER.format(families="ev_pbpk", species=species)
            + f"# Minimal PBPK of intravenous extracellular vesicles (EVs), {species}.\n" + eq
            + f"""\
# Sources: shared/research/ev_params.md (A-C); Lin, Monteiro-Riviere & Riviere 2016 (capacity
# form of phagocytic uptake); every number's prior and citation in data/priors/ev_pbpk.yaml.
name: ev_pbpk_{species}
description: EV minimal PBPK ({species}) - plasma, liver (Kupffer, LSEC, hepatocytes), spleen, lung, kidney, rest, degradation
equations: |
{eq_block}parameters:
{params}
derived:
{PBPK_DERIVED}compartments:
{PBPK_COMPARTMENTS}processes:
{pbpk_processes("phagocyte_degradation_rate")}observables:
{pbpk_observables()}""")


CASCADE_EQUATIONS = """\
EV disposition as in ev_pbpk; Kupffer-cell endosomes E (= kupffer) lose vesicles to
lysosomal degradation (k_lys) and to endosomal escape k_esc = k_lys f_esc / (1 - f_esc):
  dE/dt = k_KC P - (k_rel + k_lys + k_esc) E;   d(escaped)/dt = k_esc E
miRNA i (miR-16, -126, -223, -21, let-7, -199a), copies summed over all Kupffer cells:
  dM_i/dt = n_i k_esc E - k_load M_i                        (cytosolic)
  dR_i/dt = f_load k_load M_i - ln2/t_AGO R_i               (AGO/RISC-loaded)
  m = sum_i R_i / N_KC                                       (loaded copies per cell)
Target mRNA T and protein Q (relative to baseline), threshold repression (Hill, n_H):
  dT/dt = k_m - k_m (1 + S_max m^nH/(m50^nH + m^nH)) T,  S_max = r/(1 - r)
  dQ/dt = k_p (T - Q)
Macrophage phenotype switch (restorative), 3-step transit, mean time tau_ph:
  s = min(1, V/(V50 + V) + (1 - Q)),  V = vesicles internalised per KC
  dX1/dt = k_tr (s - X1),  dX2/dt = k_tr (X1 - X2),  dX3/dt = k_tr (X2 - X3),  k_tr = 3/tau_ph
Scar collagen F (relative excess): dF/dt = k_b (1 - F) - k_res X3 F
HGF mRNA cargo H_m (copies) and HGF protein H_p (molecules):
  dH_m/dt = n_HGF k_esc E - ln2/t_m H_m;  dH_p/dt = k_tl H_m - ln2/t_p H_p
Hepatocyte S phase (excess labelling fraction), 3-step transit with mean lag tau_S:
  dS1/dt = k_S (L_max h/(h50 + h) - S1), ..., h = H_p / N_hep,  k_S = 3/tau_S
"""

CASCADE_PRIORS = ["lysosomal_degradation_rate", "endosomal_escape_fraction"] + [
    f"mirna_copies_per_vesicle_{m}" for m in MIRNAS] + [
    "risc_loading_rate", "risc_loading_fraction", "ago_mirna_half_life",
    "repression_threshold_copies_per_cell", "repression_hill_coefficient",
    "max_target_repression", "mrna_half_life", "protein_half_life",
    "phenotype_switch_time", "phenotype_ec50_vesicles_per_cell",
    "fibrosis_basal_turnover_rate", "collagen_degradation_rate",
    "mrna_copies_per_vesicle_hgf", "translation_rate_per_mrna", "hgf_protein_half_life",
    "hgf_ec50_molecules_per_hepatocyte", "hgf_max_labelling_index",
    "hepatocyte_lag_to_s_phase", "hepatocytes_per_g_liver"]


def ev_cargo_cascade(species, priors):
    phys = physiology(species)
    lines = pbpk_parameters(priors, species, phys)
    lines += [priors.param(name, species) for name in CASCADE_PRIORS]
    params = "\n".join(lines)
    derived = PBPK_DERIVED + """\
  k_escape: {expression: "lysosomal_degradation_rate * endosomal_escape_fraction / (1 - endosomal_escape_fraction)", unit: 1/h}
  k_risc_load: {expression: "risc_loading_rate * risc_loading_fraction", unit: 1/h}
  k_cyto_loss: {expression: "risc_loading_rate * (1 - risc_loading_fraction)", unit: 1/h}
  k_risc_decay: {expression: "ln(2) / ago_mirna_half_life", unit: 1/h}
  k_mrna: {expression: "ln(2) / mrna_half_life", unit: 1/h}
  k_protein: {expression: "ln(2) / protein_half_life", unit: 1/h}
  repression_emax: {expression: "max_target_repression / (1 - max_target_repression)", unit: "1"}
  k_phenotype: {expression: "3 / phenotype_switch_time", unit: 1/h}
  collagen_slope: {expression: "collagen_degradation_rate / fibrosis_basal_turnover_rate", unit: "1"}
  k_hgf_protein: {expression: "ln(2) / hgf_protein_half_life", unit: 1/h}
  hepatocyte_count: {expression: "hepatocytes_per_g_liver * liver_mass", unit: cells}
  hgf_ec50_total: {expression: "hgf_ec50_molecules_per_hepatocyte * hepatocyte_count", unit: copies}
  k_s_phase: {expression: "3 / hepatocyte_lag_to_s_phase", unit: 1/h}
  s_phase_vmax: {expression: "3 / hepatocyte_lag_to_s_phase * hgf_max_labelling_index", unit: 1/h}
"""
    comps = PBPK_COMPARTMENTS + "  escaped: {unit: particles, description: 'EVs whose cargo escaped endosomes into the cytosol'}\n"
    for m in MIRNAS:
        comps += (f"  cytosolic_{m}: {{unit: copies, description: '{MIRNA_LABEL[m]} copies in "
                  f"Kupffer-cell cytosol (all cells)'}}\n")
        comps += (f"  risc_{m}: {{unit: copies, description: 'AGO-loaded {MIRNA_LABEL[m]} copies "
                  f"(all Kupffer cells)'}}\n")
    comps += """\
  target_mrna: {unit: "1", initial: 1, description: "target mRNA of the named miRNAs relative to baseline"}
  target_protein: {unit: "1", initial: 1, description: "target protein relative to baseline"}
  phenotype_1: {unit: "1", description: "macrophage phenotype switch transit 1"}
  phenotype_2: {unit: "1", description: "macrophage phenotype switch transit 2"}
  restorative: {unit: "1", description: "restorative (Ly6C-lo) macrophage fraction, transit 3"}
  collagen: {unit: "1", initial: 1, description: "excess scar collagen relative to baseline"}
  hgf_mrna: {unit: copies, description: "HGF mRNA copies delivered to Kupffer-cell cytosol"}
  hgf_protein: {unit: copies, description: "HGF molecules made from delivered mRNA"}
  s_phase_1: {unit: "1", description: "hepatocyte cycle transit 1"}
  s_phase_2: {unit: "1", description: "hepatocyte cycle transit 2"}
  s_phase: {unit: "1", description: "excess hepatocyte S-phase (labelling) fraction"}
"""
    procs = pbpk_processes("lysosomal_degradation_rate")
    procs += "  - {name: endosomal_escape, type: first_order, from: kupffer, to: escaped, k: k_escape}\n"
    for m in MIRNAS:
        procs += (f"  - {{name: {m}_release, type: first_order, of: kupffer, to: cytosolic_{m}, "
                  f"k: k_escape, yield: mirna_copies_per_vesicle_{m}}}\n")
        procs += (f"  - {{name: {m}_risc_loading, type: first_order, from: cytosolic_{m}, "
                  f"to: risc_{m}, k: k_risc_load}}\n")
        procs += (f"  - {{name: {m}_cytosolic_loss, type: first_order, from: cytosolic_{m}, "
                  f"k: k_cyto_loss}}\n")
        procs += (f"  - {{name: {m}_risc_decay, type: first_order, from: risc_{m}, "
                  f"k: k_risc_decay}}\n")
    procs += """\
  - name: target_mrna_turnover
    type: turnover
    compartment: target_mrna
    kin: k_mrna
    kout: k_mrna
    kout_effect: {type: emax, by: risc_copies_per_cell, emax: repression_emax, ec50: repression_threshold_copies_per_cell, hill: repression_hill_coefficient}
  - {name: target_protein_synthesis, type: first_order, of: target_mrna, to: target_protein, k: k_protein}
  - {name: target_protein_loss, type: first_order, from: target_protein, k: k_protein}
  - name: phenotype_entry
    type: expression
    to: phenotype_1
    unit: 1/h
    rate: "k_phenotype * min(1, (kupffer + degraded_kupffer + escaped) / kupffer_cells / (phenotype_ec50_vesicles_per_cell + (kupffer + degraded_kupffer + escaped) / kupffer_cells) + max(0, 1 - target_protein))"
  - {name: phenotype_transit, type: transit, from: phenotype_1, chain: [phenotype_2, restorative], ktr: k_phenotype}
  - name: collagen_turnover
    type: turnover
    compartment: collagen
    kin: fibrosis_basal_turnover_rate
    kout: fibrosis_basal_turnover_rate
    kout_effect: {type: linear, by: restorative_fraction, slope: collagen_slope}
  - {name: hgf_mrna_release, type: first_order, of: kupffer, to: hgf_mrna, k: k_escape, yield: mrna_copies_per_vesicle_hgf}
  - {name: hgf_mrna_decay, type: first_order, from: hgf_mrna, k: k_mrna}
  - {name: hgf_translation, type: first_order, of: hgf_mrna, to: hgf_protein, k: translation_rate_per_mrna}
  - {name: hgf_protein_decay, type: first_order, from: hgf_protein, k: k_hgf_protein}
  - {name: s_phase_entry, type: michaelis_menten, of: hgf_protein, to: s_phase_1, vmax: s_phase_vmax, km: hgf_ec50_total}
  - {name: s_phase_transit, type: transit, from: s_phase_1, chain: [s_phase_2, s_phase], ktr: k_s_phase}
"""
    obs = pbpk_observables(", escaped")
    obs += "  risc_copies_per_cell: {amount: [" + ", ".join(f"risc_{m}" for m in MIRNAS) + \
        "], per: kupffer_cells, unit: copies/cell, description: 'AGO-loaded copies of all named miRNAs per Kupffer cell (as if they shared one target - generous)'}\n"
    for m in MIRNAS:
        lab = MIRNA_LABEL[m]
        obs += (f"  {m}_delivered_per_cell: {{expression: \"(kupffer + degraded_kupffer + escaped) * "
                f"mirna_copies_per_vesicle_{m} / kupffer_cells\", unit: copies/cell, description: "
                f"'{lab} copies internalised per Kupffer cell (endosomal, before escape)'}}\n")
        obs += (f"  {m}_cytosolic_per_cell: {{amount: cytosolic_{m}, per: kupffer_cells, "
                f"unit: copies/cell, description: '{lab} copies in the cytosol of one Kupffer cell'}}\n")
        obs += (f"  {m}_risc_per_cell: {{amount: risc_{m}, per: kupffer_cells, unit: copies/cell, "
                f"description: 'AGO-loaded {lab} copies per Kupffer cell'}}\n")
    obs += """\
  target_mrna: {amount: target_mrna, description: "target mRNA relative to baseline"}
  target_protein: {amount: target_protein, description: "target protein relative to baseline"}
  restorative_fraction: {amount: restorative, description: "restorative macrophage fraction (0-1)"}
  collagen: {amount: collagen, description: "excess scar collagen relative to baseline (1 = untreated)"}
  hgf_mrna_per_kupffer_cell: {amount: hgf_mrna, per: kupffer_cells, unit: copies/cell, description: "HGF mRNA copies per Kupffer cell"}
  hgf_molecules_per_hepatocyte: {amount: hgf_protein, per: hepatocyte_count, unit: copies/cell, description: "HGF molecules made from cargo per hepatocyte"}
  s_phase_fraction: {amount: s_phase, description: "excess fraction of hepatocytes in S phase"}
"""
    eq = "".join("#   " + line + "\n" for line in (PBPK_EQUATIONS + CASCADE_EQUATIONS).splitlines())
    eq_block = "".join("  " + line + "\n" for line in (PBPK_EQUATIONS + CASCADE_EQUATIONS).splitlines())
    return (HEADER.format(families="ev_pbpk and ev_cargo_cascade", species=species)
            + f"# EV disposition chained to Kupffer-cell cargo and effect cascade, {species}.\n" + eq
            + f"""\
# Sources: shared/research/ev_params.md (A-F); priors and citations in data/priors/ev_pbpk.yaml
# and data/priors/ev_cargo_cascade.yaml.
name: ev_cargo_cascade_{species}
description: EV PBPK ({species}) chained to Kupffer-cell cargo (6 miRNAs, HGF mRNA), target repression, macrophage phenotype, collagen, hepatocyte S phase
equations: |
{eq_block}parameters:
{params}
derived:
{derived}compartments:
{comps}processes:
{procs}observables:
{obs}""")


def main():
    priors = Priors("ev_pbpk", "ev_cargo_cascade")
    for species in SPECIES:
        write(f"models/library/ev_pbpk_{species}.yaml", ev_pbpk(species, priors))
    for species in CASCADE_SPECIES:
        write(f"models/library/ev_cargo_cascade_{species}.yaml", ev_cargo_cascade(species, priors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
