"""Data: audio folders with a labels.csv, the PhysioNet/CinC 2016 layout, and synthetic generators.

The synthetic generators are the built-in data of the examples and of the ``wavefront`` command.
"""

from ._audio_files import find_audio_files
from ._folder import AudioFileError, load_audio_folder, read_audio
from ._physionet import load_physionet2016
from ._synthetic import make_harmonic_tones, make_heart_sounds

__all__ = ["load_audio_folder", "read_audio", "AudioFileError", "find_audio_files", "load_physionet2016",
           "make_harmonic_tones", "make_heart_sounds"]
