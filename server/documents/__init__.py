"""What the server prints and decodes: PDFs, invitations and images, made in worker processes."""
