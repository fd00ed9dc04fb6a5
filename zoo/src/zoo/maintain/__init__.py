"""The maintainers' tools, apart from the user's ``colddiff`` commands.

* ``python -m zoo.maintain.export RUN --name NAME``: a training run into the zoo (weights,
  prior, registry entry with the run's configuration);
* ``python -m zoo.maintain.record NAME``: evaluate a model and write the figures into its card;
* ``python -m zoo.maintain.features DATASET``: train the feature classifier of a data set.
"""
