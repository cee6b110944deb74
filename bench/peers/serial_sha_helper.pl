#!/usr/bin/perl
# The baseline: the serial helper an administrator writes by hand. It speaks
# authd's protocol one request at a time, checks {SHA} digests from a file
# of name@domain:{SHA}base64 lines loaded at start, and flushes every answer.
# Usage: serial_sha_helper.pl PASSWORD-FILE
use strict;
use warnings;
use Digest::SHA qw(sha1_base64);

my %digests;
open(my $file, '<', $ARGV[0]) or die "serial_sha_helper: $ARGV[0]: $!\n";
while (my $line = <$file>) {
  next if $line =~ /^#/;
  chomp $line;
  my ($name, $stored) = split(/:/, $line, 3);
  $digests{lc $name} = $1 if defined $stored && $stored =~ /^\{SHA\}(.+)$/;
}
close($file);

# A password with a space, quote or backslash arrives quoted, with \" \\
# and \ddd escapes.
sub password_argument {
  my ($text) = @_;
  return (split(/ /, $text))[0] // '' unless $text =~ /^"((?:[^"\\]|\\.)*)"/;
  (my $password = $1) =~ s/\\(\d{3}|.)/length($1) == 3 ? chr($1) : $1/ge;
  return $password;
}

$| = 1;
while (my $line = <STDIN>) {
  $line =~ s/\r?\n\z//;
  my ($seq, $command, $rest) = split(/ /, $line, 3);
  next unless defined $seq && $seq =~ /^\d{1,20}\z/;
  $rest //= '';
  if (($command // '') eq 'INTF') {
    print "$seq OK ", ($rest =~ /^(\d+)/ && $1 < 2 ? $1 : 2), "\n";
  } elsif (($command // '') eq 'VRFY') {
    $rest =~ s/^\(\S*\) //;
    my ($name, $password) = split(/ /, $rest, 2);
    my $stored = $digests{lc($name // '')};
    my $right = defined $stored && sha1_base64(password_argument($password // '')) . '=' eq $stored;
    print $right ? "$seq OK\n" : "$seq ERROR incorrect account name or password\n";
  } else {
    print "$seq ERROR unknown command\n";
  }
}
