<?xml version="1.0" encoding="UTF-8"?>
<!--
  Chorus Pro reception rules (CPP-REC-01 .. CPP-REC-20), Schematron-style, output SVRL.

  Run by edi_gateway/reception.py through edi_gateway/schematron.py (saxonche, XSLT 2.0) on a
  UBL 2.1 Invoice / CreditNote or a CII invoice (also the CII of a Factur-X PDF).
  Where each term sits is NOT written here: xslt/envelope.xsl (imported) holds every XPath, one
  variable per BT id ($BT-1, $BT-13, $buyer-siret, $service-code, $amounts ...).

  Parameters:
    directory          document node: the structures directory (structures.Directory.to_xml()),
                       <annuaire><structure identifiantStructure=".." ...><service ../></structure>
    deposit-date       xs:date string (YYYY-MM-DD): the day the flux was deposited
    billing-framework  BT-23 normalised by edi_gateway.envelope.billing_framework (A1 default)

  Each failed rule is one svrl:failed-assert with @id (the rule id), @flag="error", @location
  (XPath of the offending node, or of the group where a missing term belongs) and
    svrl:diagnostic-reference diagnostic="en"   the English message
    svrl:text   "[CPP-REC-nn] <French message> | EN: <English message>"
  Facts: ../shared/domain/chorus-pro.md §1.4 (CPP usage constraints), §2 (structure flags),
  §4 (reason codes). Rule table and choices: docs/reception.md.
-->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:svrl="http://purl.oclc.org/dsdl/svrl"
    xmlns:gw="urn:edi-gateway:xslt-functions"
    exclude-result-prefixes="xs gw">

  <xsl:import href="../xslt/envelope.xsl"/>
  <xsl:output method="xml" encoding="UTF-8" indent="no"/>

  <xsl:param name="directory" as="document-node()?" select="()"/>
  <xsl:param name="deposit-date" as="xs:string" select="''"/>
  <xsl:param name="billing-framework" as="xs:string" select="'A1'"/>

  <!-- Public-works frameworks (cadres de facturation travaux, CPPFacturePivot annotation):
       the only ones an estMoaUniquement structure receives. -->
  <xsl:variable name="works-frameworks" as="xs:string*"
      select="('A4', 'A5', 'A6', 'A7', 'A8', 'A13', 'A14', 'A15', 'A16', 'A17', 'A18', 'A19',
               'A20', 'A22', 'A23', 'A24', 'A25')"/>
  <xsl:variable name="refused-type-codes" as="xs:string*" select="('389', '261', '751')"/>
  <xsl:variable name="public-service-code" as="xs:string" select="'FACTURES_PUBLIQUES'"/>

  <!-- What the rules look at -->
  <xsl:variable name="root" select="/*"/>
  <!-- "999 000 010 00010": spaces (also no-break ones) are layout, not part of the SIRET -->
  <xsl:variable name="siret" as="xs:string"
      select="replace(string($buyer-siret[1]), '[\s&#xA0;&#x202F;]', '')"/>
  <!-- INSEE check digit: Luhn over the 14 digits; La Poste (SIREN 356000000) establishments
       instead have a digit sum that is a multiple of 5 (structures_toml.siret_ok, the same rule) -->
  <xsl:variable name="siret-checks" as="xs:boolean" select="
      if (matches($siret, '^[0-9]{14}$'))
      then (sum(for $i in 1 to 14 return
                  (for $d in xs:integer(substring($siret, 15 - $i, 1)) * (1 + (($i + 1) mod 2))
                   return $d - 9 * xs:integer($d gt 9))) mod 10 = 0
            or (starts-with($siret, '356000000')
                and sum(for $i in 1 to 14 return xs:integer(substring($siret, $i, 1))) mod 5 = 0))
      else false()"/>
  <xsl:variable name="code" as="xs:string" select="normalize-space(string($service-code[1]))"/>
  <xsl:variable name="ej" as="xs:string" select="normalize-space(string($BT-13[1]))"/>
  <xsl:variable name="structure"
      select="($directory/annuaire/structure[@identifiantStructure = $siret])[1]"/>
  <xsl:variable name="service" select="($structure/service[@codeService = $code])[1]"/>
  <xsl:variable name="issue-date" as="xs:date?" select="gw:date(string($BT-2[1]))"/>
  <xsl:variable name="deposit" as="xs:date?" select="gw:date($deposit-date)"/>
  <xsl:variable name="seller-is-public" as="xs:boolean"
      select="some $id in $seller-ids/normalize-space(.) satisfies
              exists($directory/annuaire/structure[@identifiantStructure = $id
                     or substring(@identifiantStructure, 1, 9) = $id])"/>

  <xsl:template match="/">
    <svrl:schematron-output title="Chorus Pro reception rules (edi-gateway)" schemaVersion="1">
      <svrl:active-pattern id="cpp-reception" name="CPP reception"/>
      <svrl:fired-rule context="/"/>
      <xsl:call-template name="recipient"/>
      <xsl:call-template name="service"/>
      <xsl:call-template name="engagement"/>
      <xsl:call-template name="document"/>
    </svrl:schematron-output>
  </xsl:template>

  <!-- Recipient structure: BT-46 (0009) / BT-47 against the directory -->
  <xsl:template name="recipient">
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-01'"/>
      <xsl:with-param name="failed" select="$siret = ''"/>
      <xsl:with-param name="at" select="($buyer, $root)[1]"/>
      <xsl:with-param name="test">BT-46 (scheme 0009) or BT-47 carries the recipient SIRET</xsl:with-param>
      <xsl:with-param name="fr">Le SIRET de la structure destinataire est absent (BT-46 avec le schéma 0009, ou BT-47).</xsl:with-param>
      <xsl:with-param name="en">The recipient structure's SIRET is missing (BT-46 with scheme 0009, or BT-47).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-02'"/>
      <xsl:with-param name="failed" select="$siret != '' and empty($structure)"/>
      <xsl:with-param name="at" select="$buyer-siret[1]"/>
      <xsl:with-param name="test">the recipient SIRET is in the structures directory</xsl:with-param>
      <!-- A SIRET has 14 digits (SIREN + NIC): a value of another shape is said to be no SIRET
           (9 digits: the SIREN of the legal entity, where Chorus Pro needs the structure's SIRET). -->
      <xsl:with-param name="fr">
        <xsl:choose>
          <xsl:when test="matches($siret, '^[0-9]{14}$') and not($siret-checks)">La valeur <xsl:value-of select="$siret"/> donnée comme SIRET destinataire n'est pas un SIRET valide : sa clé de contrôle (algorithme de Luhn, INSEE) est fausse ; un chiffre a probablement été mal saisi.</xsl:when>
          <xsl:when test="matches($siret, '^[0-9]{14}$')">Le SIRET destinataire <xsl:value-of select="$siret"/> ne correspond à aucune structure publique de l'annuaire.</xsl:when>
          <xsl:when test="matches($siret, '^[0-9]{9}$')">La valeur <xsl:value-of select="$siret"/> donnée comme SIRET destinataire n'est pas un SIRET : ses 9 chiffres sont un SIREN (l'entité juridique) ; Chorus Pro a besoin du SIRET de la structure publique destinataire (14 chiffres : SIREN + NIC), tel qu'il figure dans l'annuaire.</xsl:when>
          <xsl:otherwise>La valeur <xsl:value-of select="$siret"/> donnée comme SIRET destinataire n'est pas un SIRET : un SIRET s'écrit avec 14 chiffres (SIREN + NIC), sans espace ni lettre ; cette valeur a <xsl:value-of select="string-length($siret)"/> caractères.</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
      <xsl:with-param name="en">
        <xsl:choose>
          <xsl:when test="matches($siret, '^[0-9]{14}$') and not($siret-checks)">The value <xsl:value-of select="$siret"/> given as recipient SIRET is not a valid SIRET: its check digit (Luhn algorithm, INSEE) is wrong; a digit was probably mistyped.</xsl:when>
          <xsl:when test="matches($siret, '^[0-9]{14}$')">The recipient SIRET <xsl:value-of select="$siret"/> matches no public structure of the directory.</xsl:when>
          <xsl:when test="matches($siret, '^[0-9]{9}$')">The value <xsl:value-of select="$siret"/> given as recipient SIRET is not a SIRET: its 9 digits are a SIREN (the legal entity); Chorus Pro needs the SIRET of the recipient public structure (14 digits: SIREN + NIC), as listed in the directory.</xsl:when>
          <xsl:otherwise>The value <xsl:value-of select="$siret"/> given as recipient SIRET is not a SIRET: a SIRET is written with 14 digits (SIREN + NIC), no space or letter; this value has <xsl:value-of select="string-length($siret)"/> characters.</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-03'"/>
      <xsl:with-param name="failed" select="$structure/@statut = 'INACTIF'"/>
      <xsl:with-param name="at" select="$buyer-siret[1]"/>
      <xsl:with-param name="test">the recipient structure is active</xsl:with-param>
      <xsl:with-param name="fr">La structure destinataire <xsl:value-of select="$siret"/> (<xsl:value-of select="$structure/libelleStructure"/>) est inactive.</xsl:with-param>
      <xsl:with-param name="en">The recipient structure <xsl:value-of select="$siret"/> (<xsl:value-of select="$structure/libelleStructure"/>) is inactive.</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-11'"/>
      <xsl:with-param name="failed" select="$structure/@estMoaUniquement = 'true' and not($billing-framework = $works-frameworks)"/>
      <xsl:with-param name="at" select="($BT-23, $buyer-siret, $root)[1]"/>
      <xsl:with-param name="test">an estMoaUniquement structure only receives public-works invoices</xsl:with-param>
      <xsl:with-param name="fr">La structure <xsl:value-of select="$siret"/> ne reçoit que des factures de travaux (maîtrise d'ouvrage) ; le cadre de facturation <xsl:value-of select="$billing-framework"/> n'en est pas un.</xsl:with-param>
      <xsl:with-param name="en">Structure <xsl:value-of select="$siret"/> only receives public-works invoices (MOA); billing framework <xsl:value-of select="$billing-framework"/> is not one.</xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!-- Service code: BT-46 (0224) / BT-10 against the structure's services -->
  <xsl:template name="service">
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-04'"/>
      <xsl:with-param name="failed" select="$structure/@codeServiceDoitEtreRenseigne = 'true' and $code = ''"/>
      <xsl:with-param name="at" select="($buyer, $root)[1]"/>
      <xsl:with-param name="test">a service code is present when the structure requires one</xsl:with-param>
      <xsl:with-param name="fr">Le code service (BT-10, ou BT-46 avec le schéma 0224) est obligatoire pour la structure <xsl:value-of select="$siret"/>.</xsl:with-param>
      <xsl:with-param name="en">The service code (BT-10, or BT-46 with scheme 0224) is mandatory for structure <xsl:value-of select="$siret"/>.</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-05'"/>
      <xsl:with-param name="failed" select="exists($structure) and $code != '' and empty($service)"/>
      <xsl:with-param name="at" select="$service-code[1]"/>
      <xsl:with-param name="test">the service code is a service of the recipient structure</xsl:with-param>
      <xsl:with-param name="fr">Le code service <xsl:value-of select="$code"/> n'existe pas pour la structure <xsl:value-of select="$siret"/>.</xsl:with-param>
      <xsl:with-param name="en">Service code <xsl:value-of select="$code"/> does not exist for structure <xsl:value-of select="$siret"/>.</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-06'"/>
      <xsl:with-param name="failed" select="$service/@estActif = 'false'"/>
      <xsl:with-param name="at" select="$service-code[1]"/>
      <xsl:with-param name="test">the service is active</xsl:with-param>
      <xsl:with-param name="fr">Le service <xsl:value-of select="$code"/> de la structure <xsl:value-of select="$siret"/> est inactif.</xsl:with-param>
      <xsl:with-param name="en">Service <xsl:value-of select="$code"/> of structure <xsl:value-of select="$siret"/> is inactive.</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-07'"/>
      <xsl:with-param name="failed" select="exists($service) and exists($issue-date)
          and (($service/@dateDbtService and $issue-date lt xs:date($service/@dateDbtService))
               or ($service/@dateFinService and $issue-date gt xs:date($service/@dateFinService)))"/>
      <xsl:with-param name="at" select="$service-code[1]"/>
      <xsl:with-param name="test">the issue date (BT-2) lies within the service's validity dates</xsl:with-param>
      <xsl:with-param name="fr">Le service <xsl:value-of select="$code"/> n'est pas ouvert à la date d'émission <xsl:value-of select="$issue-date"/> (validité : <xsl:value-of select="gw:period($service)"/>).</xsl:with-param>
      <xsl:with-param name="en">Service <xsl:value-of select="$code"/> is not open on the issue date <xsl:value-of select="$issue-date"/> (valid: <xsl:value-of select="gw:period($service)"/>).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-12'"/>
      <xsl:with-param name="failed" select="$code = $public-service-code and exists($structure) and not($seller-is-public)"/>
      <xsl:with-param name="at" select="$service-code[1]"/>
      <xsl:with-param name="test">FACTURES_PUBLIQUES is only used between public structures</xsl:with-param>
      <xsl:with-param name="fr">Le code service FACTURES_PUBLIQUES est réservé à la facturation entre structures publiques ; un fournisseur doit indiquer le code service de son client.</xsl:with-param>
      <xsl:with-param name="en">Service code FACTURES_PUBLIQUES is reserved for invoicing between public structures; a supplier must give its customer's service code.</xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!-- Engagement juridique (EJ, BT-13) -->
  <xsl:template name="engagement">
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-08'"/>
      <xsl:with-param name="failed" select="$structure/@numeroEJDoitEtreRenseigne = 'true' and $ej = ''"/>
      <xsl:with-param name="at" select="($cii-agreement, $root)[1]"/>
      <xsl:with-param name="test">an EJ (BT-13) is present when the structure requires one</xsl:with-param>
      <xsl:with-param name="fr">Le numéro d'engagement juridique (BT-13) est obligatoire pour la structure <xsl:value-of select="$siret"/>.</xsl:with-param>
      <xsl:with-param name="en">The legal commitment (EJ, purchase order) number BT-13 is mandatory for structure <xsl:value-of select="$siret"/>.</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-09'"/>
      <xsl:with-param name="failed" select="$service/@numeroEngagement = 'true' and $ej = ''
          and not($structure/@numeroEJDoitEtreRenseigne = 'true')"/>
      <xsl:with-param name="at" select="($cii-agreement, $root)[1]"/>
      <xsl:with-param name="test">an EJ (BT-13) is present when the service requires one</xsl:with-param>
      <xsl:with-param name="fr">Le numéro d'engagement juridique (BT-13) est obligatoire pour le service <xsl:value-of select="$code"/>.</xsl:with-param>
      <xsl:with-param name="en">The legal commitment (EJ, purchase order) number BT-13 is mandatory for service <xsl:value-of select="$code"/>.</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-10'"/>
      <xsl:with-param name="failed" select="$structure/@gestionNumeroEJOuCodeService = 'true' and $ej = '' and $code = ''"/>
      <xsl:with-param name="at" select="($cii-agreement, $root)[1]"/>
      <xsl:with-param name="test">an EJ (BT-13) or a service code is present</xsl:with-param>
      <xsl:with-param name="fr">La structure <xsl:value-of select="$siret"/> exige un numéro d'engagement juridique (BT-13) ou un code service.</xsl:with-param>
      <xsl:with-param name="en">Structure <xsl:value-of select="$siret"/> requires a legal commitment number (BT-13) or a service code.</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-17'"/>
      <xsl:with-param name="failed" select="string-length($ej) gt 50"/>
      <xsl:with-param name="at" select="$BT-13[1]"/>
      <xsl:with-param name="test">BT-13 has at most 50 characters</xsl:with-param>
      <xsl:with-param name="fr">Le numéro d'engagement juridique (BT-13) dépasse 50 caractères (<xsl:value-of select="string-length($ej)"/>).</xsl:with-param>
      <xsl:with-param name="en">The legal commitment number (BT-13) is longer than 50 characters (<xsl:value-of select="string-length($ej)"/>).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-18'"/>
      <xsl:with-param name="failed" select="string-length(normalize-space(string($BT-12[1]))) gt 50"/>
      <xsl:with-param name="at" select="$BT-12[1]"/>
      <xsl:with-param name="test">BT-12 has at most 50 characters</xsl:with-param>
      <xsl:with-param name="fr">Le numéro de marché (BT-12) dépasse 50 caractères (<xsl:value-of select="string-length(normalize-space(string($BT-12[1])))"/>).</xsl:with-param>
      <xsl:with-param name="en">The contract reference (BT-12) is longer than 50 characters (<xsl:value-of select="string-length(normalize-space(string($BT-12[1])))"/>).</xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!-- The document itself: number, type, date, amounts -->
  <xsl:template name="document">
    <xsl:variable name="number" select="normalize-space(string($BT-1[1]))"/>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-13'"/>
      <xsl:with-param name="failed" select="string-length($number) gt 20"/>
      <xsl:with-param name="at" select="$BT-1[1]"/>
      <xsl:with-param name="test">BT-1 has at most 20 characters</xsl:with-param>
      <xsl:with-param name="fr">Le numéro de facture <xsl:value-of select="$number"/> dépasse 20 caractères (<xsl:value-of select="string-length($number)"/>).</xsl:with-param>
      <xsl:with-param name="en">Invoice number <xsl:value-of select="$number"/> is longer than 20 characters (<xsl:value-of select="string-length($number)"/>).</xsl:with-param>
    </xsl:call-template>
    <!-- BT-1 trimmed of XML blanks and Unicode spaces (Z*: U+00A0, U+2003 ...) at both ends -->
    <xsl:variable name="number-trimmed" select="replace(string($BT-1[1]), '^[\s\p{Z}]+|[\s\p{Z}]+$', '')"/>
    <!-- Characters that do not show, refused inside BT-1 (same set as reception.number_key):
         controls (Cc), format characters (Cf), line / paragraph separators, every space other
         than U+0020, the default-ignorable code points that are not Cf (Unicode 15
         DerivedCoreProperties: U+034F, U+115F-U+1160, U+17B4-U+17B5, U+180B-U+180F, U+3164,
         U+FE00-U+FE0F, U+FFA0, U+FFF0-U+FFF8, U+E0000-U+E0FFF) and, our choice, the blank
         braille pattern U+2800 (it draws nothing). -->
    <xsl:variable name="invisible-class" as="xs:string"
        select="'[\p{Cc}\p{Cf}\p{Zl}\p{Zp}&#x34F;&#x115F;&#x1160;&#x17B4;&#x17B5;&#x180B;-&#x180F;&#x2800;&#x3164;&#xFE00;-&#xFE0F;&#xFFA0;&#xFFF0;-&#xFFF8;&#xE0000;-&#xE0FFF;]|[\p{Zs}-[ ]]'"/>
    <xsl:variable name="invisible" as="xs:string*"
        select="for $c in distinct-values(string-to-codepoints($number-trimmed))
                return if (matches(codepoints-to-string($c), $invisible-class)) then gw:code-point($c) else ()"/>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-20'"/>
      <xsl:with-param name="failed" select="exists($BT-1) and ($number-trimmed = '' or exists($invisible))"/>
      <xsl:with-param name="at" select="$BT-1[1]"/>
      <xsl:with-param name="test">BT-1 is not blank and holds no invisible character (control, format, default-ignorable, space other than U+0020)</xsl:with-param>
      <xsl:with-param name="fr">
        <xsl:choose>
          <xsl:when test="$number-trimmed = ''">Le numéro de facture (BT-1) est vide : il ne contient que des espaces.</xsl:when>
          <xsl:otherwise>Le numéro de facture (BT-1) contient des caractères invisibles (de contrôle, de mise en forme, ignorables ou espaces autres que l'espace ordinaire) : <xsl:value-of select="string-join($invisible, ', ')"/> ; ils rendraient deux numéros identiques à l'écran différents.</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
      <xsl:with-param name="en">
        <xsl:choose>
          <xsl:when test="$number-trimmed = ''">The invoice number (BT-1) is blank: it holds only spaces.</xsl:when>
          <xsl:otherwise>The invoice number (BT-1) holds invisible (control, format, ignorable, or space other than U+0020) characters: <xsl:value-of select="string-join($invisible, ', ')"/>; they would make two numbers that look the same differ.</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-14'"/>
      <xsl:with-param name="failed" select="normalize-space(string($BT-3[1])) = $refused-type-codes"/>
      <xsl:with-param name="at" select="$BT-3[1]"/>
      <xsl:with-param name="test">BT-3 is not 389, 261 or 751</xsl:with-param>
      <xsl:with-param name="fr">Le type de facture <xsl:value-of select="$BT-3[1]"/> n'est pas accepté par Chorus Pro (389, 261 et 751 sont refusés).</xsl:with-param>
      <xsl:with-param name="en">Invoice type code <xsl:value-of select="$BT-3[1]"/> is not accepted by Chorus Pro (389, 261 and 751 are refused).</xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-15'"/>
      <xsl:with-param name="failed" select="exists($issue-date) and exists($deposit) and $issue-date gt $deposit"/>
      <xsl:with-param name="at" select="$BT-2[1]"/>
      <xsl:with-param name="test">BT-2 is not after the deposit date</xsl:with-param>
      <xsl:with-param name="fr">La date d'émission <xsl:value-of select="$issue-date"/> est postérieure à la date de dépôt <xsl:value-of select="$deposit"/>.</xsl:with-param>
      <xsl:with-param name="en">The issue date <xsl:value-of select="$issue-date"/> is after the deposit date <xsl:value-of select="$deposit"/>.</xsl:with-param>
    </xsl:call-template>
    <xsl:variable name="issue-text" select="normalize-space(string($BT-2[1]))"/>
    <xsl:call-template name="assert">
      <xsl:with-param name="id" select="'CPP-REC-19'"/>
      <xsl:with-param name="failed" select="exists($BT-2) and not(gw:calendar-date($issue-text, exists($ubl)))"/>
      <xsl:with-param name="at" select="$BT-2[1]"/>
      <xsl:with-param name="test">BT-2 is a calendar date with a four-digit year from 1900 to 2099</xsl:with-param>
      <xsl:with-param name="fr">La date d'émission (BT-2) « <xsl:value-of select="$issue-text"/> » n'est pas une date du calendrier avec une année à quatre chiffres de 1900 à 2099 (<xsl:value-of select="if (exists($ubl)) then 'AAAA-MM-JJ' else 'format 102 : AAAAMMJJ'"/>).</xsl:with-param>
      <xsl:with-param name="en">The issue date (BT-2) '<xsl:value-of select="$issue-text"/>' is not a calendar date with a four-digit year from 1900 to 2099 (<xsl:value-of select="if (exists($ubl)) then 'YYYY-MM-DD' else 'format 102: YYYYMMDD'"/>).</xsl:with-param>
    </xsl:call-template>
    <xsl:for-each select="$amounts[string-length(substring-after(normalize-space(.), '.')) gt 2]">
      <xsl:call-template name="assert">
        <xsl:with-param name="id" select="'CPP-REC-16'"/>
        <xsl:with-param name="failed" select="true()"/>
        <xsl:with-param name="at" select="."/>
        <xsl:with-param name="test">every amount has at most 2 decimals</xsl:with-param>
        <xsl:with-param name="fr">Le montant <xsl:value-of select="local-name()"/> = <xsl:value-of select="normalize-space(.)"/> a plus de 2 décimales.</xsl:with-param>
        <xsl:with-param name="en">Amount <xsl:value-of select="local-name()"/> = <xsl:value-of select="normalize-space(.)"/> has more than 2 decimals.</xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
  </xsl:template>

  <!-- One rule outcome: nothing when the rule holds, else one svrl:failed-assert -->
  <xsl:template name="assert">
    <xsl:param name="id" as="xs:string"/>
    <xsl:param name="failed" as="xs:boolean"/>
    <xsl:param name="at" as="node()?"/>
    <xsl:param name="test" as="xs:string"/>
    <xsl:param name="fr" as="xs:string"/>
    <xsl:param name="en" as="xs:string"/>
    <xsl:if test="$failed">
      <svrl:failed-assert id="{$id}" flag="error" test="{$test}"
          location="{gw:path(($at, $root)[1])}">
        <svrl:diagnostic-reference diagnostic="en">
          <xsl:value-of select="normalize-space($en)"/>
        </svrl:diagnostic-reference>
        <svrl:text>
          <xsl:value-of select="concat('[', $id, '] ', normalize-space($fr), ' | EN: ', normalize-space($en))"/>
        </svrl:text>
      </svrl:failed-assert>
    </xsl:if>
  </xsl:template>

  <!-- XPath of a node, in the form Schematron skeletons write (/*:Name[namespace-uri()='..'][n]) -->
  <xsl:function name="gw:path" as="xs:string">
    <xsl:param name="node" as="node()"/>
    <xsl:variable name="steps" as="xs:string*"
        select="for $e in $node/ancestor-or-self::* return concat('/*:', local-name($e),
                '[namespace-uri()=''', namespace-uri($e), '''][',
                count($e/preceding-sibling::*[node-name(.) eq node-name($e)]) + 1, ']')"/>
    <xsl:sequence select="concat(string-join($steps, ''),
        if ($node instance of attribute()) then concat('/@', name($node)) else '')"/>
  </xsl:function>

  <!-- xs:date from YYYY-MM-DD (optional zone) or CII format 102 YYYYMMDD; empty when unreadable -->
  <xsl:function name="gw:date" as="xs:date?">
    <xsl:param name="text" as="xs:string"/>
    <xsl:variable name="t" select="normalize-space($text)"/>
    <xsl:variable name="iso" select="if (matches($t, '^\d{8}$'))
        then concat(substring($t, 1, 4), '-', substring($t, 5, 2), '-', substring($t, 7, 2))
        else substring($t, 1, 10)"/>
    <xsl:sequence select="if ($iso castable as xs:date) then xs:date($iso) else ()"/>
  </xsl:function>

  <!-- CPP-REC-19: a calendar date whose year has four digits, 1900 to 2099. UBL: YYYY-MM-DD with
       an optional zone (xs:date also allows 12025-06-16 and -2025-06-16: not here); CII: format
       102 YYYYMMDD. Digits are ASCII ([0-9], never \d, which matches any Unicode digit). -->
  <xsl:function name="gw:calendar-date" as="xs:boolean">
    <xsl:param name="t" as="xs:string"/>
    <xsl:param name="iso" as="xs:boolean"/>
    <xsl:sequence select="if ($iso)
        then matches($t, '^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}(Z|[+\-][0-9]{2}:[0-9]{2})?$')
             and exists(gw:date($t))
        else matches($t, '^(19|20)[0-9]{6}$') and exists(gw:date($t))"/>
  </xsl:function>

  <!-- A code point as U+XXXX (at least four upper-case hex digits) -->
  <xsl:function name="gw:code-point" as="xs:string">
    <xsl:param name="c" as="xs:integer"/>
    <xsl:variable name="hex" select="gw:hex($c)"/>
    <xsl:sequence select="concat('U+', substring('000', 1, max((0, 4 - string-length($hex)))), $hex)"/>
  </xsl:function>

  <xsl:function name="gw:hex" as="xs:string">
    <xsl:param name="n" as="xs:integer"/>
    <xsl:sequence select="if ($n lt 16) then substring('0123456789ABCDEF', $n + 1, 1)
                          else concat(gw:hex($n idiv 16), gw:hex($n mod 16))"/>
  </xsl:function>

  <!-- "2020-01-01 .. 2023-12-31" with open ends shown as "…" -->
  <xsl:function name="gw:period" as="xs:string">
    <xsl:param name="service" as="element()"/>
    <xsl:sequence select="concat(($service/@dateDbtService, '…')[1], ' .. ', ($service/@dateFinService, '…')[1])"/>
  </xsl:function>

</xsl:stylesheet>
