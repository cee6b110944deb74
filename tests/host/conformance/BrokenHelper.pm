# The frame the conformance kit's deliberately broken helpers share: a
# serial loop over request lines that gets the line rules right (the length
# limit, NUL, CR LF, sequence numbers, unknown commands, end of input), so
# that each helper fails only through the flaw it was written to show.
# Each helper passes its own VRFY handler to run().
package BrokenHelper;

use strict;
use warnings;

# users file: one "name@domain<TAB>password" per line (the password raw).
sub load_users {
  my ($path) = @_;
  my %users;
  open(my $in, '<:raw', $path) or die "cannot read $path: $!\n";
  while (my $line = <$in>) {
    $line =~ s/\r?\n\z//;
    my ($address, $password) = split(/\t/, $line, 2);
    $users{lc $address} = $password if defined $password;
  }
  close($in);
  return \%users;
}

# The next argument of $$rest, decoded (atom or quoted string, \ddd and \x
# escapes); undef at the end; dies on a malformed quoted string.
sub next_argument {
  my ($rest) = @_;
  $$rest =~ s/\A +//;
  return undef if $$rest eq '';
  if ($$rest =~ s/\A"((?:[^"\\]|\\.)*)"(?= |\z)//s) {
    my $quoted = $1;
    my $bad = 0;
    $quoted =~ s/\\(?:(\d{3})|(.))/
      defined $1 ? (($1 == 0 || $1 > 255) ? do { $bad = 1; '' } : chr($1)) : $2
    /gse;
    die "malformed quoted string\n" if $bad;
    return $quoted;
  }
  die "malformed quoted string\n" if $$rest =~ /\A"/;
  $$rest =~ s/\A([^ ]+)//;   # only a space ends an atom: a CR or a tab is part of it
  return $1;
}

sub answer { print "$_[0] $_[1]\n"; }

# $vrfy->($seq, $args, $users): the answer after the sequence number.
sub run {
  my (%hooks) = @_;
  my $users = load_users($ARGV[0] // die "usage: $0 USERS-FILE\n");
  binmode(STDIN);
  binmode(STDOUT);
  $| = 1;
  while (my $line = <STDIN>) {
    $line =~ s/\n\z//;
    $line =~ s/\r\z//;
    if (length($line) > 8192) {
      answer($1, 'ERROR request line too long') if $line =~ /\A(\d{1,20}) /;
      next;
    }
    next unless $line =~ /\A(\d{1,20})(?: (.*))?\z/s;
    my ($seq, $rest) = ($1, $2 // '');
    if (index($line, "\0") >= 0) {
      answer($seq, 'ERROR invalid NUL byte');
      next;
    }
    my ($command, $args) = $rest =~ /\A(\S+) ?(.*)\z/s;
    if (!defined $command) {
      answer($seq, 'ERROR missing command');
    } elsif ($command eq 'INTF') {
      if ($args =~ /\A(\d{1,9})\z/) { answer($seq, 'OK ' . ($1 < 2 ? $1 : 2)); }
      else { answer($seq, 'ERROR INTF needs a version'); }
    } elsif ($command eq 'VRFY') {
      my $text = eval { $hooks{vrfy}->($seq, $args, $users) };
      answer($seq, defined $text ? $text : 'ERROR malformed request');
    } elsif ($command =~ /\ASASL\(/) {
      answer($seq, 'ERROR unsupported SASL method');
    } else {
      answer($seq, 'ERROR unknown command');
    }
  }
  exit 0;
}

1;
