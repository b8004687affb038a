#!/usr/bin/env bash
set -eu
source ../setup_emulator/emulator.sh
# The first play reads its connection from the environment, as the modules do.
ansible-playbook -i localhost, -c local main.yml "$@"
# The second gets it from variables alone.
api_url=${OPENROUTER_API_URL}
unset OPENROUTER_MANAGEMENT_KEY OPENROUTER_API_URL
ansible-playbook -i localhost, -c local vars.yml -e "emulator_api_url=${api_url}" "$@"
