"""The model side: a model spec parsed, its objective, its identity in the run spec, and loading it
through lm-eval's registry (GGUF conversion and PEFT adapters included)."""
