"""Everything between "I want a model" and "the engine has it loaded".

The catalogue of recommended models, Hub search and file listings, memory-fit estimates,
resumable verified downloads, the registry of installed models, and switching the model the
engine has loaded. Nothing here imports llama_cpp or Qt; the only network access is a search,
listing or download the person asked for.
"""
