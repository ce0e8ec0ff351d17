# SEER Label. Quickstart: `make run` (server on the sample CT) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STUDIES ?= studies
TEST_WORKERS ?= 2  # pytest-xdist workers for `make test`; each takes whole test files (module fixtures start once)
SERVER_ARGS ?=  # e.g. SERVER_ARGS="--conf model_dir /tmp/seer-model"

.PHONY: install ohif pacs-deps pacs run test bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# `cli.py warm` builds the concept-embedding cache, so a server is ready when it answers /info.
# pip byte-compiles what it installs on one core; `compileall -j 0` does the same on every core (about half the
# time on 2 cores). The .pyc files must be written here: with PYTHONDONTWRITEBYTECODE=1 (set on some machines) they
# are never written later, and every server the tests start would compile torch and monai again. A few files in
# torch's test helpers are not Python 3.11 source: pip skips them silently, and so does this step.
# Re-installs only when the content of requirements.txt changes: the stamp holds its hash, not a time, because
# a fresh checkout gives requirements.txt a newer mtime than an existing, complete .venv.
REQ_HASH = $(shell sha256sum requirements.txt | cut -d' ' -f1)

install: | $(BIN)/activate
	@if [ "$$(cat $(VENV)/.installed 2>/dev/null)" != "$(REQ_HASH)" ]; then \
	  $(BIN)/pip install --quiet --upgrade pip && \
	  $(BIN)/pip install --quiet --no-compile -r requirements.txt && \
	  { $(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null 2>&1 || true; } && \
	  $(BIN)/python apps/seer/cli.py warm && \
	  echo "$(REQ_HASH)" > $(VENV)/.installed; \
	fi
	@$(MAKE) --no-print-directory ohif

# OHIF with the SEER panel: the wheel's build patched into apps/seer/ohif/build/ (offline; lib/server/ohif.py)
OHIF_STAMP := apps/seer/ohif/build/.seer-ohif-stamp
ohif: $(OHIF_STAMP)
	@:
$(OHIF_STAMP): apps/seer/ohif/seer_panel.js apps/seer/ohif/segmentation_tools.js apps/seer/ohif/apply.py apps/seer/lib/server/ohif.py | $(BIN)/activate
	@$(BIN)/python apps/seer/ohif/apply.py > /dev/null

# The PACS and browser used by the DICOMweb and OHIF tests (Debian packages), installed only when missing, and
# gdcmconv (libgdcm-tools), which writes the tests' compressed series (JPEG 2000, JPEG-LS, RLE ...).
# orthanc-gdcm, Orthanc's GDCM plugin, lets Orthanc transcode JPEG 2000 for viewers (OHIF): installed where the
# distribution has it, for demos only. The tests run Orthanc without it and the app never needs it.
# PostgreSQL's server (Debian `postgresql`) for the team tests (tests/postgres.py starts a throwaway cluster on
# loopback); the app itself needs no database server by default (SQLite in model_dir).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
pacs-deps:
	@if [ ! -x /usr/sbin/Orthanc ] || [ ! -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || \
	    [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/gdcmconv ] || ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then \
	  $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y orthanc orthanc-dicomweb chromium libgdcm-tools postgresql; \
	fi
	@if [ ! -e /usr/share/orthanc/plugins/libOrthancGdcm.so ] && apt-cache show orthanc-gdcm > /dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y orthanc-gdcm || \
	    echo "orthanc-gdcm was not installed: demos show compressed series only where the viewer decodes them"; \
	fi

# Orthanc with DICOMweb on loopback for demos, until Ctrl-C; then `make run STUDIES=http://127.0.0.1:8042/dicom-web`.
# It loads the GDCM plugin when installed (transcoding for viewers); SEER Label reads series as stored either way.
PACS_PORT ?= 8042
pacs: install pacs-deps
	$(BIN)/python tests/orthanc.py $(PACS_PORT)

# A DICOMweb address in STUDIES (a PACS) has no local folder to lay the sample out in. SEER Label is served by its
# own ASGI app (apps/seer/lib/server/asgi.py): MONAI Label picks it with --uvicorn_app, importable from apps/seer.
run: install
	@case "$(STUDIES)" in http://*|https://*) ;; \
	  *) $(BIN)/python apps/seer/cli.py studies --out $(STUDIES) > /dev/null ;; esac
	@echo ""
	@echo "SEER Label on http://127.0.0.1:$(PORT)  (sample study: example_ct_sm)"
	@echo "  Ask for a segmentation:"
	@echo "    curl -s -X POST 'http://127.0.0.1:$(PORT)/infer/seer?image=example_ct_sm&output=json' -F 'params={\"prompt\": \"outline the lt kidny\"}'"
	@echo "  3D Slicer: MONAI Label module -> server http://127.0.0.1:$(PORT) -> model 'seer' -> set 'prompt' in Options -> Run"
	@echo "  OHIF:      http://127.0.0.1:$(PORT)/ohif/ (needs a DICOMweb studies source, see README)"
	@echo ""
	PYTHONPATH=$(CURDIR)/apps/seer$${PYTHONPATH:+:$$PYTHONPATH} $(BIN)/python -m monailabel.main start_server \
	  --app apps/seer --studies $(STUDIES) --uvicorn_app lib.server.asgi:app --host 127.0.0.1 --port $(PORT) $(SERVER_ARGS)

test: install pacs-deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25 tests

bench: install
	$(BIN)/python apps/seer/cli.py bench --suite apps/seer/lib/bench/suites/ct_public.jsonl \
	  --image ../shared/data/totalseg_example/example_ct_sm.nii.gz \
	  --reference ../shared/data/totalseg_example/example_seg.nii.gz --vocab total --out bench-out/ct

clean:
	rm -rf $(STUDIES) bench-out
