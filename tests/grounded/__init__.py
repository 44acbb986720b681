"""A bilingual question set over generated documents, shared by the tests and bench.grounded.

``documents.write_documents(folder)`` writes the documents (PDFs with pages in English and
Chinese, a GBK Chinese text file, a UTF-8 Chinese text file, Markdown in both languages),
always byte for byte the same; ``questions.QUESTIONS`` asks about them: each question names
the fact(s) a correct answer must contain (with the accepted forms), the file and page that
hold it, or that the documents do not hold the answer at all.
"""
