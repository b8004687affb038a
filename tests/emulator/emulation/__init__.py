# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's parts: common (errors, requests, checks), faults, keys, the Emulator (state), server, control.

openrouter_emulator.py (one folder up) is the entry point and the facade the tests import. See docs/emulator.md.
"""
