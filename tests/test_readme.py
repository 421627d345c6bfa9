"""The README a clone reads: its links lead to files of the checkout."""

import re

from harness import project

ROOT = project.current().root


def test_every_relative_link_of_the_readme_is_a_file_of_the_checkout():
    readme = (ROOT / "README.md").read_text()
    links = [link for link in re.findall(r"\]\(([^)#]+)\)", readme) if "://" not in link]
    assert links, "the README links its plan of the house"
    assert [link for link in links if not (ROOT / link).exists()] == []
    assert "../shared/" not in readme, "a clone has no ../shared"
