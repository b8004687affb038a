#!/usr/bin/env bash
set -eu
source ../setup_emulator/emulator.sh
ansible-playbook -i localhost, -c local main.yml "$@"
