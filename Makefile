# SEER Label. Quickstart: `make run` (server on the sample CT) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STUDIES ?= studies
SERVER_ARGS ?=  # e.g. SERVER_ARGS="--conf model_dir /tmp/seer-model"

.PHONY: install run test bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Re-installs only when requirements.txt changes.
$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python apps/seer/cli.py studies --out $(STUDIES) > /dev/null
	@echo ""
	@echo "SEER Label on http://127.0.0.1:$(PORT)  (sample study: example_ct_sm)"
	@echo "  Ask for a segmentation:"
	@echo "    curl -s -X POST 'http://127.0.0.1:$(PORT)/infer/seer?image=example_ct_sm&output=json' -F 'params={\"prompt\": \"outline the lt kidny\"}'"
	@echo "  3D Slicer: MONAI Label module -> server http://127.0.0.1:$(PORT) -> model 'seer' -> set 'prompt' in Options -> Run"
	@echo "  OHIF:      http://127.0.0.1:$(PORT)/ohif/ (needs a DICOMweb studies source, see README)"
	@echo ""
	$(BIN)/python -m monailabel.main start_server --app apps/seer --studies $(STUDIES) --host 127.0.0.1 --port $(PORT) $(SERVER_ARGS)

test: install
	$(BIN)/python -m pytest -q tests

bench: install
	$(BIN)/python apps/seer/cli.py bench --suite apps/seer/lib/bench/suites/ct_public.jsonl \
	  --image ../shared/data/totalseg_example/example_ct_sm.nii.gz \
	  --reference ../shared/data/totalseg_example/example_seg.nii.gz --vocab total --out bench-out/ct

clean:
	rm -rf $(STUDIES) bench-out
