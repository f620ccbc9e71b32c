"""The teaching tools: grading answers (check), new exercises and class variants (new), gradient checks (gradcheck).

check is in parts: answers.py reads numbers with the digits they were written
with; answer_names.py turns names and partial traces into locators;
mistakes.py is the table of quantity kinds and their usual mistakes;
replay.py recomputes a run from a student's own values (error carried
forward; inside an optimizer's step, steplines.py works the table's lines
from them) or with one mistake made throughout; check.py gives the verdicts;
report.py writes them for one student or a gradebook for a class.
"""
