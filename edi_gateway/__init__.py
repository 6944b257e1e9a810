"""edi-gateway: the Chorus Pro (CPP) EDI mode reproduced as a file-drop gateway."""

__version__ = "0.1.0"
