"""What people touch: the command line, the teaching demo, reports, figures and notebook views."""
