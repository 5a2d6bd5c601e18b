"""groupsim: rehearse facilitating a group through critical incidents."""

__version__ = "0.1.0"
