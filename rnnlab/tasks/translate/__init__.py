"""Translation: encoder–decoders with attention, greedy and beam decoding, BLEU and chrF."""
