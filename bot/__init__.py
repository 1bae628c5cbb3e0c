"""The assistant's own code that runs inside Rasa: NLU components, risk detection, helpers.

Importing the package puts bot.rasa_speedups in place: every Rasa process that serves this
assistant imports `bot` (config.yml's components live here), so each one gets them.
"""

from bot import rasa_speedups

rasa_speedups.install()
