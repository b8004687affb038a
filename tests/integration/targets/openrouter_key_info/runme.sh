#!/usr/bin/env bash
set -eu
source ../setup_emulator/emulator.sh
# The action-group play must get its credentials from module_defaults alone.
unset OPENROUTER_MANAGEMENT_KEY
ansible-playbook -i localhost, -c local main.yml "$@"
