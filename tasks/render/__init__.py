"""Renderers: HTML to PDF, DOCX, QR codes and charts, form and media documents."""
