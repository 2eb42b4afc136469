"""In-process upstreams: models run inside this process (local Hugging Face models), reached by the
transport for a request whose URL starts with `in-process://`, and answering in OpenAI's wire format
as a server would. Nothing here is imported until such a model is first called; torch, transformers
and sentence-transformers (the `local` extra) only when one is loaded."""
