<?xml version="1.0" encoding="UTF-8"?>
<!--
  Shared part of the invoice -> CPPFacturePivot V2_02 mapping (AIFE CPPFacturePivot_V2_02.xsd,
  ../shared/domain/chorus-pro.md §3.6). Included by pivot-ubl.xsl and pivot-cii.xsl.

  The parties (Fournisseur, Debiteur) and the attachment come from parameters set by
  edi_gateway/pivot.py: the envelope extraction and the routing decision are the single source of
  truth for them. The invoice data (DonneesFacture) is read from the document by each syntax.

  Values the XSD restricts are mapped explicitly (docs/outputs.md):
    Type   380 / 381: credit-note codes (381 396 261 262 532, UBL CreditNote root) -> 381, else 380.
    Cadre  A1..A25 (no A11): a BT-23 value already in the list is kept; reform frameworks:
           suffix 2 (already paid) -> A2, suffix 5 (subcontractor) -> A9, suffix 6
           (co-contractor) -> A12; anything else (absent, URN profile ids, B1/S1/M1 ...) -> A1.
    ModePaiement 10 20 30 31 42 48 49 97 kept; 58 (SEPA credit transfer) -> 30,
           59 (SEPA direct debit) -> 49, 54/55 (cards) -> 48; absent or other -> 30, the original
           code kept in Libelle.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

  <xsl:param name="id_flux"/>
  <xsl:param name="dt_prd"/>
  <xsl:param name="emitter_id" select="'CPP001'"/>
  <xsl:param name="emitter_label" select="'CPP'"/>
  <xsl:param name="receiver_id"/>
  <xsl:param name="receiver_label"/>
  <xsl:param name="supplier_type" select="'6'"/>
  <xsl:param name="supplier_id"/>
  <xsl:param name="supplier_name"/>
  <xsl:param name="supplier_country" select="'FR'"/>
  <xsl:param name="debtor_siret"/>
  <xsl:param name="debtor_name"/>
  <xsl:param name="service_code"/>
  <xsl:param name="service_name"/>
  <xsl:param name="id_cpro"/>
  <xsl:param name="date_reception"/>
  <xsl:param name="pj_name"/>
  <xsl:param name="pj_original_name"/>
  <xsl:param name="pj_category"/>
  <xsl:param name="pj_mime"/>

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <!-- Root: envelope + one invoice unit; the syntax stylesheet supplies mode "donnees". -->
  <xsl:template name="pivot">
    <xsl:param name="invoice"/>
    <CPPFacturePivot Version="V2_02">
      <Enveloppe>
        <EnveloppeUnitaire NumOrdre="1">
          <Parametres>
            <ParametreIndiv NumOrdre="0001"><Code>DtPrd</Code><Valeurparametre><xsl:value-of select="$dt_prd"/></Valeurparametre></ParametreIndiv>
            <ParametreIndiv NumOrdre="0002"><Code>IdFlx</Code><Valeurparametre><xsl:value-of select="$id_flux"/></Valeurparametre></ParametreIndiv>
          </Parametres>
          <Partenaires>
            <Recepteur><Id><xsl:value-of select="$receiver_id"/></Id><Libelle><xsl:value-of select="$receiver_label"/></Libelle></Recepteur>
            <Emetteur><Id><xsl:value-of select="$emitter_id"/></Id><Libelle><xsl:value-of select="$emitter_label"/></Libelle></Emetteur>
          </Partenaires>
        </EnveloppeUnitaire>
      </Enveloppe>
      <CPPFactures Compteur="1">
        <CPPFacturePivotUnitaire NumOrdre="1">
          <xsl:call-template name="fournisseur">
            <xsl:with-param name="bank">
              <xsl:apply-templates select="$invoice" mode="bank"/>
            </xsl:with-param>
          </xsl:call-template>
          <xsl:call-template name="debiteur">
            <xsl:with-param name="buyer_name">
              <xsl:apply-templates select="$invoice" mode="buyer-name"/>
            </xsl:with-param>
          </xsl:call-template>
          <DonneesFacture>
            <xsl:apply-templates select="$invoice" mode="donnees"/>
          </DonneesFacture>
          <PJ NumOrdre="1">
            <Contenu/>
            <NomPJ><xsl:value-of select="substring($pj_name, 1, 50)"/></NomPJ>
            <xsl:if test="string($pj_original_name)">
              <NomPJOrigine><xsl:value-of select="substring($pj_original_name, 1, 50)"/></NomPJOrigine>
            </xsl:if>
            <xsl:if test="string($pj_category)">
              <CategoriePJ><xsl:value-of select="substring($pj_category, 1, 50)"/></CategoriePJ>
            </xsl:if>
            <TypePJ>01</TypePJ>
            <MimeTypePJ><xsl:value-of select="$pj_mime"/></MimeTypePJ>
          </PJ>
        </CPPFacturePivotUnitaire>
      </CPPFactures>
    </CPPFacturePivot>
  </xsl:template>

  <xsl:template name="fournisseur">
    <xsl:param name="bank"/>
    <Fournisseur>
      <TypeIdentifiant><xsl:value-of select="$supplier_type"/></TypeIdentifiant>
      <Identifiant><xsl:value-of select="$supplier_id"/></Identifiant>
      <RaisonSociale><xsl:value-of select="$supplier_name"/></RaisonSociale>
      <CodePays><xsl:value-of select="$supplier_country"/></CodePays>
      <xsl:copy-of select="$bank"/>
      <ModeEmission>flux</ModeEmission>
    </Fournisseur>
  </xsl:template>

  <xsl:template name="debiteur">
    <xsl:param name="buyer_name"/>
    <Debiteur>
      <TypeIdentifiant>1</TypeIdentifiant>
      <Identifiant><xsl:value-of select="$debtor_siret"/></Identifiant>
      <xsl:choose>
        <xsl:when test="string($debtor_name)"><Nom><xsl:value-of select="$debtor_name"/></Nom></xsl:when>
        <xsl:when test="string($buyer_name)"><Nom><xsl:value-of select="$buyer_name"/></Nom></xsl:when>
      </xsl:choose>
      <xsl:if test="string($service_code)">
        <CodeService><xsl:value-of select="substring($service_code, 1, 100)"/></CodeService>
      </xsl:if>
      <xsl:if test="string($service_name)">
        <NomService><xsl:value-of select="$service_name"/></NomService>
      </xsl:if>
    </Debiteur>
  </xsl:template>

  <!-- ReferenceBancaire from BT-84 (account), BT-86 (BIC), BT-85 (account name). -->
  <xsl:template name="reference-bancaire">
    <xsl:param name="account"/>
    <xsl:param name="bic"/>
    <xsl:param name="holder"/>
    <xsl:if test="string($account)">
      <ReferenceBancaire Type="IBAN">
        <Compte><xsl:value-of select="$account"/></Compte>
        <xsl:if test="string($bic)"><Etablissement><xsl:value-of select="$bic"/></Etablissement></xsl:if>
        <xsl:if test="string($holder)"><RaisonSocialeEncaisseur><xsl:value-of select="$holder"/></RaisonSocialeEncaisseur></xsl:if>
      </ReferenceBancaire>
    </xsl:if>
  </xsl:template>

  <!-- The head of DonneesFacture, common to both syntaxes (XSD order). -->
  <xsl:template name="donnees-tete">
    <xsl:param name="number"/>
    <xsl:param name="preceding"/>
    <xsl:param name="type_code"/>
    <xsl:param name="credit_note" select="false()"/>
    <xsl:param name="framework"/>
    <xsl:param name="issue_date"/>
    <xsl:param name="delivery_date"/>
    <xsl:param name="means"/>
    <xsl:param name="currency"/>
    <Id><xsl:value-of select="substring(normalize-space($number), 1, 20)"/></Id>
    <xsl:if test="string(number($id_cpro)) != 'NaN'"><IdCPRO><xsl:value-of select="$id_cpro"/></IdCPRO></xsl:if>
    <Renvoi>Non</Renvoi>
    <xsl:variable name="type">
      <xsl:call-template name="type"><xsl:with-param name="code" select="$type_code"/><xsl:with-param name="credit_note" select="$credit_note"/></xsl:call-template>
    </xsl:variable>
    <xsl:if test="$type = '381' and string(normalize-space($preceding))">
      <IdFactureOrigine><xsl:value-of select="substring(normalize-space($preceding), 1, 20)"/></IdFactureOrigine>
    </xsl:if>
    <Type><xsl:value-of select="$type"/></Type>
    <Cadre><xsl:call-template name="cadre"><xsl:with-param name="value" select="normalize-space($framework)"/></xsl:call-template></Cadre>
    <DateEmissionFacture><xsl:value-of select="$issue_date"/></DateEmissionFacture>
    <xsl:if test="string-length($delivery_date) = 10"><DateLivraison><xsl:value-of select="$delivery_date"/></DateLivraison></xsl:if>
    <xsl:call-template name="mode-paiement"><xsl:with-param name="code" select="normalize-space($means)"/></xsl:call-template>
    <DateReception><xsl:value-of select="$date_reception"/></DateReception>
    <Devise><xsl:value-of select="normalize-space($currency)"/></Devise>
  </xsl:template>

  <xsl:template name="type">
    <xsl:param name="code"/>
    <xsl:param name="credit_note"/>
    <xsl:variable name="c" select="normalize-space($code)"/>
    <xsl:choose>
      <xsl:when test="$credit_note or $c = '381' or $c = '396' or $c = '261' or $c = '262' or $c = '532'">381</xsl:when>
      <xsl:otherwise>380</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="cadre">
    <xsl:param name="value"/>
    <xsl:choose>
      <xsl:when test="contains(' A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23 A24 A25 ', concat(' ', $value, ' ')) and string($value)"><xsl:value-of select="$value"/></xsl:when>
      <xsl:when test="$value = 'B2' or $value = 'S2' or $value = 'M2'">A2</xsl:when>
      <xsl:when test="$value = 'S5'">A9</xsl:when>
      <xsl:when test="$value = 'S6'">A12</xsl:when>
      <xsl:otherwise>A1</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="mode-paiement">
    <xsl:param name="code"/>
    <xsl:variable name="mapped">
      <xsl:choose>
        <xsl:when test="contains(' 10 20 30 31 42 48 49 97 ', concat(' ', $code, ' ')) and string($code)"><xsl:value-of select="$code"/></xsl:when>
        <xsl:when test="$code = '58'">30</xsl:when>
        <xsl:when test="$code = '59'">49</xsl:when>
        <xsl:when test="$code = '54' or $code = '55'">48</xsl:when>
        <xsl:otherwise>30</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <ModePaiement>
      <Code><xsl:value-of select="$mapped"/></Code>
      <Libelle>
        <xsl:choose>
          <xsl:when test="$mapped = '10'">ESPECE</xsl:when>
          <xsl:when test="$mapped = '20'">CHEQUE</xsl:when>
          <xsl:when test="$mapped = '48'">CARTE</xsl:when>
          <xsl:when test="$mapped = '49'">PRELEVEMENT</xsl:when>
          <xsl:when test="$mapped = '97'">REPORT</xsl:when>
          <xsl:otherwise>VIREMENT</xsl:otherwise>
        </xsl:choose>
        <xsl:if test="$code != $mapped">
          <xsl:value-of select="concat(' (code facture ', $code, ')')"/>
        </xsl:if>
        <xsl:if test="not(string($code))"> (mode absent de la facture)</xsl:if>
      </Libelle>
    </ModePaiement>
  </xsl:template>

  <!-- An xs:decimal, 0 when the source is empty or not a number. -->
  <xsl:template name="decimal">
    <xsl:param name="value"/>
    <xsl:variable name="v" select="normalize-space($value)"/>
    <xsl:choose>
      <xsl:when test="string($v) and string(number($v)) != 'NaN'"><xsl:value-of select="$v"/></xsl:when>
      <xsl:otherwise>0</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- CII date format 102 (YYYYMMDD) -> YYYY-MM-DD; a value already in ISO form is kept. -->
  <xsl:template name="date102">
    <xsl:param name="value"/>
    <xsl:variable name="v" select="normalize-space($value)"/>
    <xsl:choose>
      <xsl:when test="string-length($v) = 8">
        <xsl:value-of select="concat(substring($v, 1, 4), '-', substring($v, 5, 2), '-', substring($v, 7, 2))"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="substring($v, 1, 10)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="engagement">
    <xsl:param name="contract"/>
    <xsl:param name="order"/>
    <xsl:if test="string(normalize-space($contract)) or string(normalize-space($order))">
      <Engagement>
        <xsl:if test="string(normalize-space($contract))"><NumeroMarche><xsl:value-of select="substring(normalize-space($contract), 1, 50)"/></NumeroMarche></xsl:if>
        <xsl:if test="string(normalize-space($order))"><NumeroEngagement><xsl:value-of select="substring(normalize-space($order), 1, 50)"/></NumeroEngagement></xsl:if>
      </Engagement>
    </xsl:if>
  </xsl:template>

  <xsl:template name="tva">
    <xsl:param name="rate"/>
    <xsl:param name="base"/>
    <xsl:param name="amount"/>
    <TVA>
      <Taux><xsl:call-template name="decimal"><xsl:with-param name="value" select="$rate"/></xsl:call-template></Taux>
      <BaseHt><xsl:call-template name="decimal"><xsl:with-param name="value" select="$base"/></xsl:call-template></BaseHt>
      <MontantTVA><xsl:call-template name="decimal"><xsl:with-param name="value" select="$amount"/></xsl:call-template></MontantTVA>
    </TVA>
  </xsl:template>

  <xsl:template name="ligne">
    <xsl:param name="index"/>
    <xsl:param name="reference"/>
    <xsl:param name="price"/>
    <xsl:param name="quantity"/>
    <xsl:param name="amount"/>
    <xsl:param name="rate"/>
    <Ligne NumOrdre="{$index}">
      <xsl:if test="string(normalize-space($reference))"><ReferenceProduit><xsl:value-of select="normalize-space($reference)"/></ReferenceProduit></xsl:if>
      <PrixUnitaire><xsl:call-template name="decimal"><xsl:with-param name="value" select="$price"/></xsl:call-template></PrixUnitaire>
      <Quantite><xsl:call-template name="decimal"><xsl:with-param name="value" select="$quantity"/></xsl:call-template></Quantite>
      <MontantHT><xsl:call-template name="decimal"><xsl:with-param name="value" select="$amount"/></xsl:call-template></MontantHT>
      <xsl:if test="string(normalize-space($rate)) and string(number(normalize-space($rate))) != 'NaN'"><TauxTVA><xsl:value-of select="normalize-space($rate)"/></TauxTVA></xsl:if>
    </Ligne>
  </xsl:template>

  <xsl:template name="montants">
    <xsl:param name="ht"/>
    <xsl:param name="ttc"/>
    <xsl:param name="due"/>
    <Montants>
      <MontantHT><xsl:call-template name="decimal"><xsl:with-param name="value" select="$ht"/></xsl:call-template></MontantHT>
      <MontantTTC><xsl:call-template name="decimal"><xsl:with-param name="value" select="$ttc"/></xsl:call-template></MontantTTC>
      <MontantNetAPayer><xsl:call-template name="decimal"><xsl:with-param name="value" select="$due"/></xsl:call-template></MontantNetAPayer>
    </Montants>
  </xsl:template>
</xsl:stylesheet>
